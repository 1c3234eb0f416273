import { request } from 'node:http';
import { generateKeyPair, SignJWT, exportSPKI } from 'jose';
import { createClient } from 'graphql-sse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  getIntrospectionQuery,
  GraphQLError,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import {
  CausewayError,
  defineEvent,
  ErrorCodes,
  EventSystem,
  input,
  newEntityId,
} from '@causeway/runtime';
import { Mediator } from '@causeway/runtime/cqrs';
import {
  eventSubscription,
  serveGraphql,
  type GraphqlAuth,
  type GraphqlServer,
  type QueryLimits,
} from '../src/graphql/index.ts';
import {
  bankLoaders,
  bankMediator,
  bankSchema,
  userLoads,
  type BankState,
} from './graphql-bank.ts';

const secret = 'a-test-secret-of-at-least-32-bytes!!';

interface Reply {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

function token(sub: string, options: { expiresIn?: string; key?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(new TextEncoder().encode(options.key ?? secret));
}

describe('graphql', () => {
  let mediator: Mediator<BankState>;
  let server: GraphqlServer;

  async function serve(
    auth: GraphqlAuth = { secret },
    batch = true,
    limits: QueryLimits = { depth: 6, cost: 500 },
  ): Promise<void> {
    server = await serveGraphql({
      schema: bankSchema,
      mediator,
      auth,
      loaders: bankLoaders(batch),
      limits,
    });
  }

  async function ask(
    query: string,
    variables: Record<string, unknown> = {},
    bearer: string | null = null,
  ): Promise<Reply> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Reply;
  }

  async function as(user: string, query: string, variables: Record<string, unknown> = {}) {
    return ask(query, variables, await token(user));
  }

  // Opens `accounts` accounts for `owner`, each held by a user of its own.
  /**
   * Deposits 7 into `account` as ada, every 50 ms, until `first` (a subscription's first
   * event) settles or 50 deposits were made; returns what it settled to (null: nothing came).
   */
  async function depositUntilSeen(
    first: Promise<IteratorResult<unknown>>,
    account: string,
  ): Promise<IteratorResult<unknown> | null> {
    let received: IteratorResult<unknown> | null = null;
    void first.then((r) => (received = r));
    for (let i = 0; i < 50 && received === null; i++) {
      await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: 7) }', { a: account });
      await new Promise((r) => setTimeout(r, 50));
    }
    return received;
  }

  async function setUp(owner: string, accounts: number): Promise<{ ids: string[] }> {
    const ids: string[] = [];
    for (let i = 0; i < accounts; i++) {
      const user = newEntityId();
      await as(owner, 'mutation($id: ID!) { registerUser(id: $id, name: "Ada") }', { id: user });
      const id = newEntityId();
      await as(owner, 'mutation($id: ID!, $h: ID!) { openAccount(id: $id, holder: $h) { id } }', {
        id,
        h: user,
      });
      ids.push(id);
    }
    return { ids: ids.sort() };
  }

  beforeEach(() => {
    mediator = bankMediator();
  });

  afterEach(async () => {
    await server.close();
  });

  it('refuses a request without a token with CW_UNAUTHENTICATED and changes nothing', async () => {
    await serve();
    await mediator.system.open();

    const reply = await ask(
      'mutation { registerUser(id: "0190b5a8-3b6e-7000-8000-000000000000", name: "x") }',
    );

    expect(reply.errors?.[0]?.extensions?.code).toBe(ErrorCodes.Unauthenticated);
    expect(await mediator.system.store.lastInput()).toBe(0);
  });

  it('refuses a token signed with another key', async () => {
    await serve();

    const reply = await ask(
      '{ me }',
      {},
      await token('ada', { key: 'another-secret-of-at-least-32-bytes!' }),
    );

    expect(reply.errors?.[0]?.extensions?.code).toBe(ErrorCodes.Unauthenticated);
  });

  it('refuses an expired token', async () => {
    await serve();
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ada')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(secret));

    const reply = await ask('{ me }', {}, expired);

    expect(reply.errors?.[0]?.extensions?.code).toBe(ErrorCodes.Unauthenticated);
  });

  it('accepts a token signed with the private key of a configured public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await serve({ publicKey: await exportSPKI(publicKey), algorithms: ['ES256'] });
    const signed = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('ada')
      .setExpirationTime('5m')
      .sign(privateKey);

    const reply = await ask('{ me }', {}, signed);

    expect(reply).toEqual({ data: { me: 'ada' } });
  });

  it('sends a mutation as a command whose actor is the authenticated principal', async () => {
    await serve();
    const { ids } = await setUp('ada', 1);

    const reply = await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: 5) }', {
      a: ids[0],
    });

    expect(reply).toEqual({ data: { deposit: 5 } });
    expect(mediator.system.entity(ids[0] as string)?.owner).toBe('ada');
  });

  it("refuses another principal's command on an entity with CW_FORBIDDEN and changes nothing", async () => {
    await serve();
    const { ids } = await setUp('ada', 1);

    const reply = await as('mallory', 'mutation($a: ID!) { deposit(account: $a, amount: 5) }', {
      a: ids[0],
    });

    expect(reply.errors?.[0]?.extensions).toEqual({
      code: ErrorCodes.Forbidden,
      reason: ErrorCodes.EntityNotOwned,
    });
    expect(mediator.system.state.accounts[ids[0] as string]?.balance).toBe(0);
  });

  it('maps a handler rejection to CW_COMMAND_REJECTED with its reason', async () => {
    await serve();
    const { ids } = await setUp('ada', 1);

    const reply = await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: -5) }', {
      a: ids[0],
    });

    expect(reply.errors?.[0]?.extensions).toEqual({
      code: ErrorCodes.CommandRejected,
      reason: 'BAD_AMOUNT',
    });
  });

  it('maps a stale expected version to CW_STALE_VERSION', async () => {
    await serve();
    const { ids } = await setUp('ada', 1);
    await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: 5) }', { a: ids[0] });

    const reply = await as(
      'ada',
      'mutation($a: ID!) { deposit(account: $a, amount: 5, expectedVersion: 1) }',
      {
        a: ids[0],
      },
    );

    expect(reply.errors?.[0]?.extensions?.code).toBe(ErrorCodes.StaleVersion);
  });

  it('answers a repeated mutation with the same command id once', async () => {
    await serve();
    const { ids } = await setUp('ada', 1);
    const vars = { a: ids[0], c: newEntityId() };
    const mutation =
      'mutation($a: ID!, $c: ID!) { deposit(account: $a, amount: 5, commandId: $c) }';

    await as('ada', mutation, vars);
    const again = await as('ada', mutation, vars);

    expect(again).toEqual({ data: { deposit: 5 } });
    expect(mediator.system.state.accounts[ids[0] as string]?.balance).toBe(5);
  });

  it('pages accounts Relay-style with first and after', async () => {
    await serve();
    const { ids } = await setUp('ada', 5);
    const page =
      'query($after: String) { accounts(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } totalCount } }';

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const reply = await as('ada', page, { after });
      const conn = (
        reply.data as {
          accounts: {
            edges: { node: { id: string } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        }
      ).accounts;
      seen.push(...conn.edges.map((e) => e.node.id));
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }

    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it('loads the holders of N accounts in one batch', async () => {
    await serve();
    await setUp('ada', 10);
    userLoads.batches = 0;
    userLoads.keys = 0;

    const reply = await as(
      'ada',
      '{ accounts(first: 10) { edges { node { id holder { name } } } } }',
    );

    expect((reply.data as { accounts: { edges: unknown[] } }).accounts.edges).toHaveLength(10);
    expect(userLoads).toEqual({ batches: 1, keys: 10 });
  });

  it('loads the holders one by one when batching is off (the baseline)', async () => {
    await serve({ secret }, false);
    await setUp('ada', 10);
    userLoads.batches = 0;

    await as('ada', '{ accounts(first: 10) { edges { node { holder { name } } } } }');

    expect(userLoads.batches).toBe(10);
  });

  it('refuses a query deeper than the limit with CW_QUERY_TOO_COMPLEX and runs nothing', async () => {
    await serve({ secret }, true, { depth: 4 });
    await setUp('ada', 1);
    userLoads.batches = 0;

    const reply = await as('ada', '{ accounts { edges { node { holder { name } } } } }');

    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      depth: 5,
    });
    expect(reply.data).toBeUndefined();
    expect(userLoads.batches).toBe(0);
  });

  it('refuses a query costlier than the limit with CW_QUERY_TOO_COMPLEX', async () => {
    await serve();

    const reply = await as(
      'ada',
      '{ accounts(first: 100) { edges { node { id balance holder { id name } } } } }',
    );

    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      cost: 701,
    });
  });

  it("hides a resolver's internal error and keeps the code of a Causeway or GraphQL error", async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          driver: {
            type: GraphQLString,
            resolve: () => {
              throw new Error('connect ECONNREFUSED 10.1.2.3:5432 (password=hunter2)');
            },
          },
          thrown: {
            type: GraphQLString,
            resolve: () => {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- a careless resolver
              throw 'select * from secrets';
            },
          },
          typed: {
            type: GraphQLString,
            resolve: () => {
              throw new CausewayError(ErrorCodes.InvalidArgument, 'No such account.');
            },
          },
          own: {
            type: GraphQLString,
            resolve: () => {
              throw new GraphQLError('Say please.', { extensions: { code: 'POLITENESS' } });
            },
          },
          fine: { type: GraphQLString, resolve: () => 'ok' },
        },
      }),
    });
    server = await serveGraphql({ schema, mediator, auth: { secret } });

    const reply = await as('ada', '{ driver thrown typed own fine }');

    expect(JSON.stringify(reply)).not.toMatch(/hunter2|10\.1\.2\.3|secrets/);
    const byPath = new Map(
      (reply.errors ?? []).map((e) => [(e as { path?: string[] }).path?.[0], e] as const),
    );
    expect(byPath.get('driver')).toMatchObject({
      message: 'Internal server error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(byPath.get('thrown')).toMatchObject({
      message: 'Internal server error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(byPath.get('typed')).toMatchObject({
      message: 'No such account.',
      extensions: { code: ErrorCodes.InvalidArgument },
    });
    expect(byPath.get('own')).toMatchObject({
      message: 'Say please.',
      extensions: { code: 'POLITENESS' },
    });
    expect(reply.data).toEqual({ driver: null, thrown: null, typed: null, own: null, fine: 'ok' });
  });

  it('keeps the message of a variable of the wrong type', async () => {
    await serve();

    const reply = await as('ada', 'query($f: Int) { accounts(first: $f) { totalCount } }', {
      f: 'many',
    });

    expect(reply.errors?.[0]?.message).toContain('Int cannot represent non-integer value');
  });

  it('counts aliased introspection fields in the cost and refuses a flood of them', async () => {
    await serve();
    const aliases = Array.from({ length: 2000 }, (_, i) => `a${i}: __schema { types { name } }`);

    const reply = await as('ada', `{ ${aliases.join(' ')} }`);

    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      cost: 6000,
    });
    expect(reply.data).toBeUndefined();
  });

  it('counts aliased __typename fields in the cost', async () => {
    await serve();
    const aliases = Array.from({ length: 600 }, (_, i) => `t${i}: __typename`);

    const reply = await as('ada', `{ ${aliases.join(' ')} }`);

    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      cost: 600,
    });
  });

  it('still answers the standard introspection query under the default limits', async () => {
    await serve({ secret }, true, {});

    const reply = await as('ada', getIntrospectionQuery());

    expect(reply.errors).toBeUndefined();
    expect(reply.data?.['__schema']).toBeDefined();
  });

  it('counts a list field whose first is omitted as a full page, not as one item', async () => {
    await serve();

    const reply = await as(
      'ada',
      '{ accounts { edges { node { id balance holder { id name } } } } }',
    );

    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      cost: 701,
    });
  });

  it('measures a query whose fragments spread each other twice over in time linear in its text', async () => {
    await serve();
    // Each fragment spreads the one before twice: 2^26 fields from 1 KB of text. Walked spread
    // by spread, measuring it blocked the process for minutes before refusing it.
    const levels = 26;
    const fragments = Array.from(
      { length: levels },
      (_, k) => `fragment F${k + 1} on Query { ...F${k} ...F${k} }`,
    );
    const query = `{ ...F${levels} } fragment F0 on Query { __typename } ${fragments.join(' ')}`;
    const started = performance.now();

    const reply = await as('ada', query);

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(reply.data).toBeUndefined();
    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      cost: 2 ** levels,
    });
  });

  it('refuses a query of more tokens than the limit before validating it', async () => {
    await serve();
    const many = Array.from({ length: 30_000 }, () => '1').join(',');

    const reply = await as('ada', `query($n: [Int] = [${many}]) { me }`);

    expect(reply.data).toBeUndefined();
    expect(reply.errors?.[0]?.extensions).toMatchObject({
      code: ErrorCodes.QueryTooComplex,
      maxTokens: 20_000,
    });
  });

  it('refuses a query nested too deeply to parse with CW_QUERY_TOO_COMPLEX, not an internal error', async () => {
    await serve();
    const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;

    const reply = await as('ada', `query($n: [Int] = ${nested}) { __typename }`);

    expect(reply.data).toBeUndefined();
    expect(reply.errors?.[0]?.extensions).toMatchObject({ code: ErrorCodes.QueryTooComplex });
  });

  it('refuses a body past the limit with HTTP 413, before authenticating or reading it all', async () => {
    await serve({ secret }, true, { bodyBytes: 64 * 1024 });
    const body = JSON.stringify({ query: `{ me }`, variables: { pad: 'x'.repeat(200_000) } });

    const declared = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    // Chunked: no content-length to refuse it by, so the limit counts what arrives.
    const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/graphql`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 16_384) req.write(body.slice(i, i + 16_384));
      req.end();
    });

    expect(declared.status).toBe(413);
    expect(((await declared.json()) as Reply).errors?.[0]?.extensions?.code).toBe(
      ErrorCodes.QueryTooComplex,
    );
    expect(streamed.status).toBe(413);
    expect((JSON.parse(streamed.text) as Reply).errors?.[0]?.extensions?.code).toBe(
      ErrorCodes.QueryTooComplex,
    );
  });

  it('still answers a request under the body limit', async () => {
    await serve({ secret }, true, { bodyBytes: 64 * 1024 });

    const reply = await as('ada', '{ me }', { pad: 'x'.repeat(1000) });

    expect(reply).toEqual({ data: { me: 'ada' } });
  });

  it("pushes the principal's deposits live over a subscription", async () => {
    await serve();
    const { ids } = await setUp('ada', 1);
    const bearer = await token('ada');
    const client = createClient({
      url: `${server.url}/graphql/stream`,
      headers: { authorization: `Bearer ${bearer}` },
      retryAttempts: 0,
    });
    const events = client.iterate<{ deposited: { account: string; amount: number } }>({
      query: 'subscription($a: ID) { deposited(account: $a) { account amount } }',
      variables: { a: ids[0] },
    });
    // The stream is set up asynchronously: deposit until the subscriber sees one.
    const received = await depositUntilSeen(events.next(), ids[0] as string);
    await events.return?.();
    client.dispose();

    expect(received).toEqual({
      done: false,
      value: { data: { deposited: { account: ids[0], amount: 7 } } },
    });
  });

  it("pushes the principal's deposits over a single-connection stream (a reservation), freeing it when the client leaves", async () => {
    await serve(undefined, undefined, { streamReservations: 1 });
    const { ids } = await setUp('ada', 1);
    const bearer = await token('ada');
    const client = createClient({
      url: `${server.url}/graphql/stream`,
      headers: { authorization: `Bearer ${bearer}` },
      singleConnection: true,
      lazy: true,
      retryAttempts: 0,
    });
    const events = client.iterate<{ deposited: { account: string; amount: number } }>({
      query: 'subscription($a: ID) { deposited(account: $a) { account amount } }',
      variables: { a: ids[0] },
    });
    const received = await depositUntilSeen(events.next(), ids[0] as string);

    await events.return?.();
    client.dispose();
    await new Promise((r) => setTimeout(r, 100));
    const again = await fetch(`${server.url}/graphql/stream`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}` },
    });

    expect(received).toEqual({
      done: false,
      value: { data: { deposited: { account: ids[0], amount: 7 } } },
    });
    expect(again.status).toBe(201);
  });

  it('ends a subscriber that falls behind with a CW_SLOW_CONSUMER error, then completes its stream', async () => {
    const Noted = defineEvent<{ n: number }, 'Noted'>('Noted', { entity: 'new' });
    const system = new EventSystem<object>({ seed: 1, initialState: {}, events: [Noted] });
    const notes = new Mediator(system);
    await notes.start();
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { ok: { type: GraphQLString, resolve: () => 'ok' } },
      }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: {
          noted: eventSubscription({
            type: GraphQLString,
            events: [Noted],
            maxQueued: 2,
            resolve: (e) => String((e.data as { n: number }).n),
          }),
        },
      }),
    });
    server = await serveGraphql({ schema, mediator: notes, auth: { secret } });
    const client = createClient({
      url: `${server.url}/graphql/stream`,
      headers: { authorization: `Bearer ${await token('ada')}` },
      retryAttempts: 0,
    });
    const replies: unknown[] = [];
    const read = (async () => {
      for await (const reply of client.iterate({ query: 'subscription { noted }' }))
        replies.push(reply);
    })();
    // The stream is set up asynchronously: note one at a time until the subscriber sees one.
    for (let n = 0; n < 50 && replies.length === 0; n++) {
      await system.tick([input(Noted, newEntityId(), { n }, 'ada')]);
      await new Promise((r) => setTimeout(r, 50));
    }

    // One tick of five: more than the two a subscriber may have waiting.
    await system.tick(
      Array.from({ length: 5 }, (_, n) => input(Noted, newEntityId(), { n: 100 + n }, 'ada')),
    );
    await read;
    client.dispose();
    await system.close();

    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(replies.at(-1)).toMatchObject({
      data: { noted: null },
      errors: [{ extensions: { code: 'CW_SLOW_CONSUMER' } }],
    });
  });

  it("gives each event of a subscription its own DataLoaders, so no event reads another's cache", async () => {
    await serve();
    const { ids } = await setUp('ada', 1);
    const bearer = await token('ada');
    const client = createClient({
      url: `${server.url}/graphql/stream`,
      headers: { authorization: `Bearer ${bearer}` },
      retryAttempts: 0,
    });
    const events = client.iterate<{ deposited: { amount: number; holder: { name: string } } }>({
      query: 'subscription($a: ID) { deposited(account: $a) { amount holder { name } } }',
      variables: { a: ids[0] },
    });
    const received: unknown[] = [];
    const reading = (async () => {
      for await (const e of events) {
        received.push(e.data?.deposited);
        if (received.length === 2) break;
      }
    })();
    // The stream is set up asynchronously: deposit until the subscriber sees one.
    for (let i = 0; i < 50 && received.length === 0; i++) {
      await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: 1) }', { a: ids[0] });
      await new Promise((r) => setTimeout(r, 50));
    }
    userLoads.batches = 0;
    await as('ada', 'mutation($a: ID!) { deposit(account: $a, amount: 2) }', { a: ids[0] });
    await reading;
    client.dispose();

    expect(received.at(-1)).toEqual({ amount: 2, holder: { name: 'Ada' } });
    expect(userLoads.batches).toBe(1);
  });

  it.each([
    [
      'two operations and no operationName',
      { query: 'query a { me } query b { me }' },
      'operationName',
    ],
    [
      'an operationName the query does not hold',
      { query: 'query a { me }', operationName: 'b' },
      '"b"',
    ],
    [
      'a subscription sent to the query path',
      { query: 'subscription { deposited { amount } }' },
      '/graphql/stream',
    ],
  ])(
    'refuses %s with HTTP 400 and CW_INVALID_ARGUMENT saying what to send',
    async (_label, body, hint) => {
      await serve();

      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${await token('ada')}`,
        },
        body: JSON.stringify(body),
      });

      expect(res.status).toBe(400);
      const error = ((await res.json()) as Reply).errors?.[0];
      expect(error?.extensions?.code).toBe(ErrorCodes.InvalidArgument);
      expect(error?.message).toContain(hint);
    },
  );

  it.each(['PUT', 'GET', 'DELETE'])(
    'refuses a %s on the stream path without a token (a PUT is a stream reservation) with HTTP 401',
    async (method) => {
      await serve();

      const res = await fetch(`${server.url}/graphql/stream`, {
        method,
        headers: { accept: 'text/event-stream' },
      });

      expect(res.status).toBe(401);
      expect(((await res.json()) as Reply).errors?.[0]?.extensions?.code).toBe(
        ErrorCodes.Unauthenticated,
      );
    },
  );

  describe('stream reservations', () => {
    async function reserve(user: string): Promise<Response> {
      return fetch(`${server.url}/graphql/stream`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${await token(user)}` },
      });
    }

    it('refuses a reservation past limits.streamReservations for its principal with HTTP 429, and not for another', async () => {
      await serve(undefined, undefined, { streamReservations: 2 });
      const made = [await reserve('ada'), await reserve('ada')];

      const refused = await reserve('ada');
      const other = await reserve('bob');

      expect(made.map((r) => r.status)).toEqual([201, 201]);
      expect(refused.status).toBe(429);
      const error = ((await refused.json()) as Reply).errors?.[0];
      expect(error?.extensions?.code).toBe(ErrorCodes.Forbidden);
      expect(error?.message).toMatch(
        /"ada" holds 2 event stream reservations.*limits\.streamReservations.*close the event stream of one/,
      );
      expect(other.status).toBe(201);
    });

    it('holds at most 8 reservations per principal by default', async () => {
      await serve();
      const statuses: number[] = [];

      for (let i = 0; i < 9; i++) statuses.push((await reserve('ada')).status);

      expect(statuses).toEqual([...Array<number>(8).fill(201), 429]);
    });

    it('frees a reservation once its event stream closes', async () => {
      await serve(undefined, undefined, { streamReservations: 1 });
      const streamToken = await (await reserve('ada')).text();
      const connection = new AbortController();
      const stream = await fetch(`${server.url}/graphql/stream?token=${streamToken}`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${await token('ada')}` },
        signal: connection.signal,
      });
      expect(stream.status).toBe(200);
      expect((await reserve('ada')).status).toBe(429);

      connection.abort();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const again = await reserve('ada');

      expect(again.status).toBe(201);
    });

    it("refuses another principal's use of a reserved stream with HTTP 403 and CW_FORBIDDEN", async () => {
      await serve();
      const streamToken = await (await reserve('ada')).text();

      const res = await fetch(`${server.url}/graphql/stream?token=${streamToken}`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${await token('mallory')}` },
      });

      expect(res.status).toBe(403);
      expect(((await res.json()) as Reply).errors?.[0]?.extensions?.code).toBe(
        ErrorCodes.Forbidden,
      );
    });
  });

  it.each([
    [
      'a body that is not JSON',
      '{"query": "subscription { deposited { amount } }"',
      /body is not JSON/,
    ],
    ['a JSON body that is not an object', '"text"', /JSON body is not an object/],
    ['a JSON array body', '[1]', /JSON body is not an object/],
    ['a body without a query', '{}', /has no query/],
  ])(
    'refuses %s on the stream path with HTTP 400 and CW_INVALID_ARGUMENT saying what to send',
    async (_label, body, said) => {
      await serve();

      const res = await fetch(`${server.url}/graphql/stream`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${await token('ada')}`,
        },
        body,
      });

      expect(res.status).toBe(400);
      const error = ((await res.json()) as Reply).errors?.[0];
      expect(error?.extensions?.code).toBe(ErrorCodes.InvalidArgument);
      expect(error?.message).toMatch(said);
      expect(error?.message).toContain('{"query": "subscription { … }"');
    },
  );

  it('refuses a stream body past limits.bodyBytes sent without a content-length with HTTP 413', async () => {
    await serve(undefined, undefined, { bodyBytes: 1_000 });
    const body = JSON.stringify({
      query: 'subscription { deposited { amount } }',
      pad: 'x'.repeat(5_000),
    });

    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/graphql/stream`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      void token('ada').then((t) => {
        req.setHeader('authorization', `Bearer ${t}`);
        req.end(body);
      });
    });

    expect(status).toBe(413);
  });

  it('refuses a subscription without a token with HTTP 401 and CW_UNAUTHENTICATED', async () => {
    await serve();

    const res = await fetch(`${server.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { deposited { amount } }' }),
    });

    expect(res.status).toBe(401);
    expect(((await res.json()) as Reply).errors?.[0]?.extensions?.code).toBe(
      ErrorCodes.Unauthenticated,
    );
  });
});

describe('graphql server options and lifecycle', () => {
  it('refuses a missing HMAC secret (an unset variable) with CW_INVALID_ARGUMENT, not a TypeError', async () => {
    const unset = process.env['CAUSEWAY_TEST_UNSET_SECRET'] as string;

    const serving = serveGraphql({
      schema: bankSchema,
      mediator: bankMediator(),
      auth: { secret: unset },
    });

    await expect(serving).rejects.toMatchObject({
      code: ErrorCodes.InvalidArgument,
      message: expect.stringContaining('environment variable') as unknown,
    });
  });

  it.each([
    ['streamReservations', Number.NaN],
    ['bodyBytes', 0],
    ['depth', '10'],
    ['cost', 2.5],
    ['tokens', -1],
    ['defaultPage', Number.POSITIVE_INFINITY],
  ])(
    'refuses limits.%s of %s with CW_INVALID_ARGUMENT naming it, where it switched its check off',
    async (name, value) => {
      const limits = { [name]: value } as unknown as QueryLimits;

      const serving = serveGraphql({
        schema: bankSchema,
        mediator: bankMediator(),
        auth: { secret },
        limits,
      });

      await expect(serving).rejects.toMatchObject({
        code: ErrorCodes.InvalidArgument,
        message: expect.stringContaining(`limits.${name} must be an integer`) as unknown,
        details: { limit: name },
      });
    },
  );

  it('refuses a public key without a list of algorithms, and no auth at all, with CW_INVALID_ARGUMENT', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const noAlgorithms = { publicKey } as unknown as GraphqlAuth;

    await expect(
      serveGraphql({ schema: bankSchema, mediator: bankMediator(), auth: noAlgorithms }),
    ).rejects.toMatchObject({ code: ErrorCodes.InvalidArgument });
    await expect(
      serveGraphql({
        schema: bankSchema,
        mediator: bankMediator(),
        auth: undefined as unknown as GraphqlAuth,
      }),
    ).rejects.toMatchObject({ code: ErrorCodes.InvalidArgument });
  });

  it.each([[[]], [['RS256']], ['HS256']])(
    'refuses a secret whose algorithms are %j (not a list of HMAC ones) at start, not at every request',
    async (algorithms) => {
      const auth = { secret, algorithms } as unknown as GraphqlAuth;

      const serving = serveGraphql({ schema: bankSchema, mediator: bankMediator(), auth });

      await expect(serving).rejects.toMatchObject({ code: ErrorCodes.InvalidArgument });
    },
  );

  it('closes once however many times close() is called', async () => {
    const server = await serveGraphql({
      schema: bankSchema,
      mediator: bankMediator(),
      auth: { secret },
    });

    await server.close();

    await expect(server.close()).resolves.toBeUndefined();
    await expect(fetch(`${server.url}/graphql`)).rejects.toThrow();
  });
});
