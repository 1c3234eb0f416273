import { describe, expect, it } from 'vitest';
import {
  defineComponent,
  defineEvent,
  ErrorCodes,
  input,
  isCausewayError,
  MemoryStore,
  newEntityId,
  reexecute,
  systemInternals,
  type EventStore,
} from '../src/index.ts';
import {
  command,
  commandInput,
  defineCommand,
  defineQuery,
  isCommandRejected,
  Mediator,
} from '../src/cqrs/index.ts';
import {
  AccountOpened,
  bankMediator,
  bankSystem,
  Deposit,
  Deposited,
  openAccount,
  OpenAccount,
  Withdraw,
  type Bank,
} from './fixtures/bank.ts';

function bank(store: EventStore = new MemoryStore()): Mediator<Bank> {
  return bankMediator(bankSystem(store));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the command was accepted'),
    (err: unknown) => err,
  );
}

async function eventTypes(mediator: Mediator<Bank>): Promise<string[]> {
  return (await mediator.system.readEvents()).items.map((e) => e.type);
}

describe('commands', () => {
  it('resolves send with the handler result once the tick commits', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());

    const result = await mediator.send(command(Deposit, account, { amount: 30 }, { actor: 'ada' }));

    expect(result).toEqual({ balance: 30 });
    expect(mediator.system.state.accounts[account]?.balance).toBe(30);
    expect(mediator.system.lastCommit?.tick).toBe(2);
  });

  it('records the command input, its events and its outcome in the log, in that order', async () => {
    const mediator = bank();

    await openAccount(mediator, 'ada', newEntityId());

    expect(await eventTypes(mediator)).toEqual([
      'OpenAccount',
      'AccountOpened',
      'causeway.CommandDecided',
    ]);
  });

  it('rejects send with CommandRejected carrying the handler reason', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());

    const err = await rejection(
      mediator.send(command(Withdraw, account, { amount: 5 }, { actor: 'ada' })),
    );

    expect(isCommandRejected(err, Withdraw)).toBe(true);
    expect(err).toMatchObject({
      code: ErrorCodes.CommandRejected,
      reason: 'INSUFFICIENT_FUNDS',
      details: { balance: 0 },
    });
  });

  it('discards the events a handler emitted before rejecting', async () => {
    const mediator = new Mediator(bankSystem()).handle(OpenAccount, (cmd, ctx) => {
      ctx.emit(AccountOpened, cmd.entity, { owner: cmd.payload.owner });
      return ctx.reject('ALREADY_OPEN', 'changed its mind');
    });

    await rejection(mediator.send(command(OpenAccount, newEntityId(), { owner: 'ada' })));

    expect(await eventTypes(mediator)).toEqual(['OpenAccount', 'causeway.CommandDecided']);
  });

  it('gives a repeated command id the first outcome without deciding it again', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    await mediator.send(deposit);

    const again = await mediator.send(deposit);

    expect(again).toEqual({ balance: 10 });
    expect(mediator.system.state.accounts[account]?.balance).toBe(10);
    expect((await eventTypes(mediator)).filter((t) => t === 'Deposited')).toHaveLength(1);
  });

  it('decides a command id once when it is sent twice at the same time', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });

    const results = await Promise.all([mediator.send(deposit), mediator.send(deposit)]);

    expect(results).toEqual([{ balance: 10 }, { balance: 10 }]);
    expect(mediator.system.state.accounts[account]?.balance).toBe(10);
  });

  it('decides a command id once when one tick carries it twice', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const input = commandInput(command(Deposit, account, { amount: 10 }, { actor: 'ada' }));

    const tick = await mediator.system.tick([input, input]);

    expect(tick.events.filter((e) => e.type === 'Deposited')).toHaveLength(1);
    expect(mediator.system.state.accounts[account]?.balance).toBe(10);
  });

  it('decides a command whose tick was dropped when the tick runs again, as a reopen would', async () => {
    // The first run of the tick decides Deposit, then a poison input halts it before it
    // commits; once the operator rejects the poison, the same system runs the tick again.
    const Poison = defineEvent<Record<string, never>, 'Poison'>('Poison', { entity: 'any' });
    const mediator = bankMediator(bankSystem(new MemoryStore(), { failurePolicy: 'halt' }));
    mediator.system.subscribe(Poison, function poisoned() {
      throw new Error('poisoned');
    });
    mediator.system.declareInputs(Poison);
    const account = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    await expect(
      mediator.system.tick([commandInput(deposit), input(Poison, account, {}, 'ada')]),
    ).rejects.toBeCausewayError('CW_LISTENER_FAILED');

    const rerun = await mediator.system.rejectJournaledInput(3, 'poison');

    expect(rerun.events.map((e) => e.type)).toContain('Deposited');
    expect(mediator.decided(deposit.id)?.outcome).toEqual({ ok: true, result: { balance: 10 } });
    expect(mediator.system.state.accounts[account]?.balance).toBe(10);
  });

  it('gives a repeated command id the first outcome after a restart', async () => {
    const name = `restart-${newEntityId()}`;
    const first = bank(new MemoryStore({ name }));
    const account = await openAccount(first, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    await first.send(deposit);
    await first.system.close();
    const reopened = bank(new MemoryStore({ name }));

    const again = await reopened.send(deposit);

    expect(again).toEqual({ balance: 10 });
    expect(reopened.system.state.accounts[account]?.balance).toBe(10);
    expect(await reopened.system.store.lastInput()).toBe(2);
  });

  it('skips a command id decided before a restart when the reopened system ticks without mediator.start()', async () => {
    // What the testing kit's resumeScript does: a new system on the log, driven by tick().
    const name = `restart-${newEntityId()}`;
    const first = bank(new MemoryStore({ name }));
    const account = await openAccount(first, 'ada', newEntityId());
    const deposit = commandInput(command(Deposit, account, { amount: 10 }, { actor: 'ada' }));
    await first.system.tick([deposit]);
    await first.system.close();
    const reopened = bank(new MemoryStore({ name }));

    const again = await reopened.system.tick([deposit]);

    expect(again.events.map((e) => e.type)).toEqual(['Deposit']);
    expect(reopened.system.state.accounts[account]?.balance).toBe(10);
  });

  it('refuses a repeated command id from an actor who may not touch the entity, without the first outcome', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    await mediator.send(deposit);
    const inputs = await mediator.system.store.lastInput();

    const err = await rejection(mediator.send({ ...deposit, actor: 'mallory' }));

    expect(isCommandRejected(err, Deposit)).toBe(true);
    expect(err).toMatchObject({ code: ErrorCodes.EntityNotOwned });
    expect(JSON.stringify(err)).not.toContain('balance');
    expect(await mediator.system.store.lastInput()).toBe(inputs);
  });

  it('refuses a command id already used by another command, sending nothing', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const other = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    await mediator.send(deposit);
    const inputs = await mediator.system.store.lastInput();

    const otherEntity = await rejection(
      mediator.send(command(Deposit, other, { amount: 10 }, { actor: 'ada', id: deposit.id })),
    );
    const otherType = await rejection(
      mediator.send(command(Withdraw, account, { amount: 1 }, { actor: 'ada', id: deposit.id })),
    );

    expect(otherEntity).toMatchObject({ code: ErrorCodes.InvalidCommand });
    expect(otherType).toMatchObject({ code: ErrorCodes.InvalidCommand });
    expect(await mediator.system.store.lastInput()).toBe(inputs);
    expect(mediator.system.state.accounts[other]?.balance).toBe(0);
  });

  it('refuses a command sent under the id of another command in the same tick', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const deposit = command(Deposit, account, { amount: 10 }, { actor: 'ada' });
    const withdraw = command(Withdraw, account, { amount: 1 }, { actor: 'ada', id: deposit.id });

    const [first, second] = await Promise.allSettled([
      mediator.send(deposit),
      mediator.send(withdraw),
    ]);

    expect(first).toEqual({ status: 'fulfilled', value: { balance: 10 } });
    expect(second).toMatchObject({
      status: 'rejected',
      reason: { code: ErrorCodes.InvalidCommand },
    });
  });

  it.each([
    ['null', null],
    ['an empty object', {}],
    ['a string', 'Deposit'],
  ])('refuses to send %s with CW_INVALID_COMMAND', async (_label, forged) => {
    const mediator = bank();

    const err = await rejection(mediator.send(forged as never));

    expect(isCausewayError(err, ErrorCodes.InvalidCommand)).toBe(true);
  });

  it('refuses a query that is not a query type with CW_INVALID_ARGUMENT', async () => {
    const mediator = bank();

    const err = await mediator.query(null as never, {} as never).catch((e: unknown) => e);

    expect(isCausewayError(err, ErrorCodes.InvalidArgument)).toBe(true);
  });

  it.each([
    [
      'handleQuery(null)',
      (m: ReturnType<typeof bank>) => m.handleQuery(null as never, () => null as never),
    ],
    ['saga(null)', (m: ReturnType<typeof bank>) => m.saga(null as never)],
    ['saga({})', (m: ReturnType<typeof bank>) => m.saga({} as never)],
    ['sagaState(undefined)', (m: ReturnType<typeof bank>) => m.sagaState(undefined as never, 'k')],
  ])('refuses %s with CW_INVALID_ARGUMENT, not a TypeError', (_label, call) => {
    const mediator = bank();

    expect(() => call(mediator)).toThrow(
      expect.objectContaining({ code: ErrorCodes.InvalidArgument }),
    );
  });

  it('fails a command whose handler returns a Promise, saying so, and records no outcome', async () => {
    const mediator = bankMediator(bankSystem(new MemoryStore(), { mode: 'production' }));
    const Later = defineCommand<{ owner: string }, null, never, 'Later'>('Later');
    mediator.handle(Later, (() => Promise.resolve(null)) as never);
    const id = newEntityId();

    const err = await rejection(mediator.send(command(Later, id, { owner: 'ada' })));

    expect(err).toMatchObject({ code: ErrorCodes.CommandFailed });
    expect((err as Error).message).toContain('returned a Promise');
    expect(mediator.decided((err as { commandId: string }).commandId)).toBeUndefined();
  });

  it('gives a repeated rejected command id the same rejection', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const withdraw = command(Withdraw, account, { amount: 5 }, { actor: 'ada' });
    await rejection(mediator.send(withdraw));
    await mediator.send(command(Deposit, account, { amount: 50 }, { actor: 'ada' }));

    const err = await rejection(mediator.send(withdraw));

    expect(err).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
  });

  it('accepts a command decided against the current entity version', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));

    const result = await mediator.send(
      command(Deposit, account, { amount: 5 }, { actor: 'ada', expectedVersion: 2 }),
    );

    expect(result).toEqual({ balance: 10 });
    expect(mediator.version(account)).toBe(3);
  });

  it('rejects a command decided against a stale entity version with CW_STALE_VERSION', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));

    const err = await rejection(
      mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada', expectedVersion: 1 })),
    );

    expect(err).toMatchObject({
      code: ErrorCodes.StaleVersion,
      details: { expected: 1, actual: 2 },
    });
    expect(mediator.system.state.accounts[account]?.balance).toBe(5);
  });

  it('decides each command of one tick on the state the earlier ones leave: no balance is spent twice', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 100 }, { actor: 'ada' }));
    const ticks = mediator.system.lastCommit?.tick;

    // Sent in one turn: journaled together and decided in one tick.
    const outcomes = await Promise.allSettled(
      [80, 80, 15, 10].map((amount) =>
        mediator.send(command(Withdraw, account, { amount }, { actor: 'ada' })),
      ),
    );

    expect(mediator.system.lastCommit?.tick).toBe((ticks ?? 0) + 1);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual([
      { balance: 20 },
      'rejected',
      { balance: 5 },
      'rejected',
    ]);
    expect(mediator.system.state.accounts[account]?.balance).toBe(5);
  });

  it("answers ctx.query in a handler with the entities the tick's earlier commands made", async () => {
    const Accounts = defineComponent<Bank['accounts'][string], 'accounts'>('accounts');
    const Count = defineCommand<Record<string, never>, { accounts: number }, never, 'Count'>(
      'Count',
    );
    const system = bankSystem();
    const mediator = new Mediator(system, { commands: [OpenAccount, Count] })
      .handle(OpenAccount, (cmd, ctx) => {
        ctx.emit(AccountOpened, cmd.entity, { owner: cmd.payload.owner });
        return { id: cmd.entity };
      })
      .handle(Count, (_cmd, ctx) => ({ accounts: ctx.query(Accounts).length }));
    await openAccount(mediator, 'ada', newEntityId());
    const ticks = system.lastCommit?.tick ?? 0;

    // One turn: two accounts opened, then a count, decided in one tick in that order.
    const [, , count] = await Promise.all([
      mediator.send(command(OpenAccount, newEntityId(), { owner: 'bob' }, { actor: 'bob' })),
      mediator.send(command(OpenAccount, newEntityId(), { owner: 'cy' }, { actor: 'cy' })),
      mediator.send(command(Count, newEntityId(), {}, { actor: 'ada' })),
    ]);

    expect(system.lastCommit?.tick).toBe(ticks + 1);
    expect(count).toEqual({ accounts: 3 });
    expect(await mediator.send(command(Count, newEntityId(), {}, { actor: 'ada' }))).toEqual({
      accounts: 3,
    });
  });

  it('refuses a second mediator on a system with CW_INVALID_ARGUMENT, leaving the first whole', async () => {
    const system = bankSystem();
    const mediator = bankMediator(system);
    const account = await openAccount(mediator, 'ada', newEntityId());

    let error: unknown;
    try {
      new Mediator(system, { commands: [defineCommand('Other')] });
    } catch (err) {
      error = err;
    }
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));

    expect(isCausewayError(error) && error.code).toBe(ErrorCodes.InvalidArgument);
    expect((error as Error).message).toMatch(/already has a mediator/);
    // Two commands about the account, each counted once in its version.
    expect(
      await mediator.send(
        command(Deposit, account, { amount: 1 }, { actor: 'ada', expectedVersion: 2 }),
      ),
    ).toEqual({ balance: 6 });
  });

  it('leaves a system whose mediator was refused for a bad option free for a corrected one, each command counted once', async () => {
    const system = bankSystem();

    let error: unknown;
    try {
      new Mediator(system, { commands: [OpenAccount, defineCommand('OpenAccount')] });
    } catch (err) {
      error = err;
    }
    const mediator = bankMediator(system);
    const account = await openAccount(mediator, 'ada', newEntityId());

    expect(isCausewayError(error) && error.code).toBe(ErrorCodes.DuplicateHandler);
    expect((error as Error).message).toMatch(/Two different commands are named "OpenAccount"/);
    // The refused one wired nothing: the opening is the account's one command so far.
    expect(
      await mediator.send(
        command(Deposit, account, { amount: 1 }, { actor: 'ada', expectedVersion: 1 }),
      ),
    ).toEqual({ balance: 1 });
  });

  it('spends a balance once across a tick of many commands, in the order they were sent', async () => {
    const mediator = bank();
    const accounts = [newEntityId(), newEntityId()];
    for (const id of accounts) {
      await openAccount(mediator, 'ada', id);
      await mediator.send(command(Deposit, id, { amount: 100 }, { actor: 'ada' }));
    }
    const sends = Array.from({ length: 60 }, (_, i) =>
      mediator.send(
        command(
          i % 3 === 0 ? Deposit : Withdraw,
          accounts[i % 2] as string,
          { amount: 7 },
          {
            actor: 'ada',
          },
        ),
      ),
    );
    const outcomes = await Promise.allSettled(sends);

    // The model: the same commands decided one after the other.
    const balances = [100, 100];
    const expected = Array.from({ length: 60 }, (_, i) => {
      const at = i % 2;
      if (i % 3 === 0) return { balance: (balances[at] = (balances[at] as number) + 7) };
      if ((balances[at] as number) < 7) return 'rejected';
      return { balance: (balances[at] = (balances[at] as number) - 7) };
    });
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual(
      expected,
    );
    expect(accounts.map((id) => mediator.system.state.accounts[id]?.balance)).toEqual(balances);
  });

  it('refuses the second of two commands of one tick decided against the same version', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());

    const outcomes = await Promise.allSettled([
      mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada', expectedVersion: 1 })),
      mediator.send(command(Deposit, account, { amount: 6 }, { actor: 'ada', expectedVersion: 1 })),
    ]);

    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { balance: 5 } });
    expect(outcomes[1]).toMatchObject({
      status: 'rejected',
      reason: { code: ErrorCodes.StaleVersion, details: { expected: 1, actual: 2 } },
    });
  });

  it('re-executes a log of ticks of many commands to the same outcomes, events and hashes', async () => {
    const store = new MemoryStore();
    const mediator = bank(store);
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 50 }, { actor: 'ada' }));
    await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        mediator.send(command(Withdraw, account, { amount: 9 }, { actor: 'ada' })),
      ),
    );
    expect(mediator.system.state.accounts[account]?.balance).toBe(5);

    const check = await reexecute(store, (s) => bankMediator(bankSystem(s)).system);

    expect(check).toMatchObject({ ok: true, ticks: 3 });
  });

  it('rejects a command about an entity owned by another actor and leaves the log untouched', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const before = await mediator.system.store.lastInput();

    const err = await rejection(
      mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'mallory' })),
    );

    expect(isCommandRejected(err)).toBe(true);
    expect(err).toMatchObject({ code: ErrorCodes.EntityNotOwned });
    expect(await mediator.system.store.lastInput()).toBe(before);
  });

  it('declares commands as the inputs, so a client cannot state a handler event itself', async () => {
    const mediator = bank();
    const account = await openAccount(mediator, 'ada', newEntityId());

    const err = await rejection(
      mediator.system.send(input(Deposited, account, { amount: 1000 }, 'ada')),
    );

    expect(err).toMatchObject({ code: ErrorCodes.NotAnInput });
    expect(mediator.system.state.accounts[account]?.balance).toBe(0);
  });

  it.each([
    ['no id', { payload: { amount: 5 }, expectedVersion: null }],
    ['an id that is a number', { id: 5, payload: { amount: 5 }, expectedVersion: null }],
    ['an id that is not a UUIDv7', { id: 'abc', payload: { amount: 5 }, expectedVersion: null }],
    ['no expectedVersion', { id: newEntityId(), payload: { amount: 5 } }],
    [
      'a string expectedVersion',
      { id: newEntityId(), payload: { amount: 5 }, expectedVersion: '0' },
    ],
    [
      'an expectedVersion past the safe integers',
      { id: newEntityId(), payload: { amount: 5 }, expectedVersion: 2 ** 53 },
    ],
    ['no payload', { id: newEntityId(), expectedVersion: null }],
    ['null as its data', null],
  ])(
    'refuses a command sent as a raw input with %s, journaling nothing and going on',
    async (_what, data) => {
      const mediator = bank();
      const account = await openAccount(mediator, 'ada', newEntityId());
      const before = await mediator.system.store.lastInput();

      const err = await rejection(
        mediator.system.send(input(Deposit.event, account, data as never, 'ada')),
      );

      expect(err).toMatchObject({ code: ErrorCodes.InvalidCommand });
      expect(await mediator.system.store.lastInput()).toBe(before);
      await expect(
        mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' })),
      ).resolves.toEqual({ balance: 5 });
    },
  );

  it('makes the sender the owner of the entity its command created', async () => {
    const mediator = bank();

    const account = await openAccount(mediator, 'ada', newEntityId());

    expect(mediator.system.entity(account)?.owner).toBe('ada');
  });

  it('rejects with CW_COMMAND_FAILED when the handler throws, and records no outcome', async () => {
    let broken = true;
    const mediator = new Mediator(bankSystem()).handle(OpenAccount, (cmd, ctx) => {
      if (broken) throw new Error('database of names is down');
      ctx.emit(AccountOpened, cmd.entity, { owner: cmd.payload.owner });
      return { id: cmd.entity };
    });
    const open = command(OpenAccount, newEntityId(), { owner: 'ada' });

    const err = await rejection(mediator.send(open));
    broken = false;
    const retried = await mediator.send(open);

    expect(err).toMatchObject({ code: ErrorCodes.CommandFailed });
    expect((err as Error).message).toContain('database of names is down');
    expect(retried).toEqual({ id: open.entity });
  });

  it('rejects with CW_COMMAND_FAILED naming the value when the handler throws null', async () => {
    const mediator = bankMediator(bankSystem());
    const Careless = defineCommand<{ owner: string }, null, never, 'Careless'>('Careless');
    mediator.handle(Careless, (cmd, ctx) => {
      ctx.emit(AccountOpened, cmd.entity, { owner: cmd.payload.owner });
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a careless handler
      throw null;
    });
    const account = newEntityId();

    const err = await rejection(
      mediator.send(command(Careless, account, { owner: 'ada' }, { actor: 'ada' })),
    );

    expect(err).toMatchObject({ code: ErrorCodes.CommandFailed });
    expect((err as Error).message).toContain('Careless.handler threw null');
    expect(mediator.system.state.accounts[account]).toBeUndefined();
    expect(await eventTypes(mediator)).toEqual(['Careless', 'causeway.ListenerFailed']);
  });

  it.each([
    ['a number as the reason', 42, 'refused'],
    ['an empty reason', '', 'refused'],
    ['a message that is not a string', 'NO', { text: 'refused' }],
  ])(
    'fails a command whose handler rejects with %s, recording no outcome',
    async (_label, reason, message) => {
      const mediator = bankMediator(bankSystem());
      const Sloppy = defineCommand<Record<string, never>, null, string, 'Sloppy'>('Sloppy');
      mediator.handle(Sloppy, (_cmd, ctx) => ctx.reject(reason as string, message as string));
      const sloppy = command(Sloppy, newEntityId(), {}, { actor: 'ada' });

      const err = await rejection(mediator.send(sloppy));

      expect(err).toMatchObject({ code: ErrorCodes.CommandFailed });
      expect((err as Error).message).toContain('ctx.reject');
      expect(mediator.decided(sloppy.id)).toBeUndefined();
      expect(await eventTypes(mediator)).toEqual(['Sloppy', 'causeway.ListenerFailed']);
    },
  );

  it('refuses a command with no handler at send, journaling nothing', async () => {
    const mediator = new Mediator(bankSystem());
    await mediator.system.open();

    const err = await rejection(mediator.send(command(OpenAccount, newEntityId(), { owner: 'x' })));

    expect(isCausewayError(err, ErrorCodes.NoHandler)).toBe(true);
    expect(await mediator.system.store.lastInput()).toBe(0);
  });

  it('reports a declared command without a handler at start-up', async () => {
    const mediator = new Mediator(bankSystem(), { commands: [OpenAccount, Withdraw] }).handle(
      OpenAccount,
      (cmd) => ({ id: cmd.entity }),
    );

    const err = await rejection(mediator.start());

    expect(err).toMatchObject({ code: ErrorCodes.NoHandler, details: { missing: ['Withdraw'] } });
  });

  it('refuses a second handler for the same command', () => {
    const mediator = bank();

    expect(() => mediator.handle(Deposit, () => ({ balance: 0 }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.DuplicateHandler }),
    );
  });

  it('refuses a command whose id is not a UUIDv7', async () => {
    const mediator = bank();

    const err = await rejection(
      mediator.send(command(OpenAccount, newEntityId(), { owner: 'x' }, { id: 'order-1' })),
    );

    expect(isCausewayError(err, ErrorCodes.InvalidCommand)).toBe(true);
  });

  it('re-executes a log of commands to the same events and hashes', async () => {
    const store = new MemoryStore();
    const mediator = bank(store);
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));
    await rejection(mediator.send(command(Withdraw, account, { amount: 50 }, { actor: 'ada' })));

    const check = await reexecute(store, (s) => bankMediator(bankSystem(s)).system);

    expect(check).toMatchObject({ ok: true, ticks: 3 });
  });

  it('exposes which event types are public in the type registry', () => {
    const mediator = bank();

    const types = systemInternals(mediator.system).types;

    expect(types.get(Deposited.name)?.public).toBe(true);
    expect(types.get(AccountOpened.name)?.public).toBe(false);
  });
});

describe('queries', () => {
  const Balance = defineQuery<{ account: string }, number | null, 'Balance'>('Balance');

  it('answers a query from the inline read model', async () => {
    const mediator = bank().handleQuery(
      Balance,
      (params, ctx) => ctx.state.accounts[params.account]?.balance ?? null,
    );
    const account = await openAccount(mediator, 'ada', newEntityId());
    await mediator.send(command(Deposit, account, { amount: 7 }, { actor: 'ada' }));

    const balance = await mediator.query(Balance, { account });

    expect(balance).toBe(7);
  });

  it('refuses a query with no handler', async () => {
    const mediator = bank();

    const err = await mediator.query(Balance, { account: newEntityId() }).catch((e: unknown) => e);

    expect(isCausewayError(err, ErrorCodes.NoHandler)).toBe(true);
  });

  it('reports a declared query without a handler at start-up', async () => {
    const mediator = new Mediator(bankSystem(), { queries: [Balance] });

    const err = await mediator.start().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.NoHandler, details: { missing: ['Balance'] } });
  });

  it('keeps a command declared with defineCommand distinct from one of the same name', () => {
    const mediator = bank();
    const Impostor = defineCommand<{ amount: number }, { balance: number }>('Deposit');

    expect(() => mediator.handle(Impostor, () => ({ balance: 0 }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.DuplicateHandler }),
    );
  });
});

describe('command names', () => {
  it('refuses a command named like a registered event type with CW_INVALID_ARGUMENT, in the options', () => {
    const system = bankSystem();
    const Namesake = defineCommand<{ amount: number }, null>('Deposited');

    let error: unknown;
    try {
      new Mediator(system, { commands: [Namesake] });
    } catch (err) {
      error = err;
    }

    expect(error).toMatchObject({
      code: ErrorCodes.InvalidArgument,
      details: { command: 'Deposited' },
    });
    expect((error as Error).message).toMatch(/Command "Deposited" has the name of an event type/);
  });

  it('refuses a command named like a registered event type with CW_INVALID_ARGUMENT, at handle()', () => {
    const mediator = bank();
    const Namesake = defineCommand<{ amount: number }, null>('AccountOpened');

    expect(() => mediator.handle(Namesake, () => null)).toThrow(
      expect.objectContaining({ code: ErrorCodes.InvalidArgument }),
    );
  });
});

describe('a mediator over a closed system', () => {
  const Balance = defineQuery<{ account: string }, number | null, 'Balance'>('Balance');

  async function closedBank() {
    const mediator = bank().handleQuery(
      Balance,
      (params, ctx) => ctx.state.accounts[params.account]?.balance ?? null,
    );
    await mediator.start();
    const account = await openAccount(mediator, 'ada', newEntityId());
    const sent = command(Deposit, account, { amount: 1 }, { actor: 'ada' });
    await mediator.send(sent);
    await mediator.system.close();
    return { mediator, account, sent };
  }

  it('rejects start() with CW_SYSTEM_HALTED saying the system is closed', async () => {
    const { mediator } = await closedBank();

    const err = await mediator.start().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.SystemHalted });
    expect((err as Error).message).toMatch(/is closed.*new EventSystem/);
  });

  it('rejects start() with CW_SYSTEM_HALTED when the system was closed before it ever opened', async () => {
    const mediator = bank();
    await mediator.system.close();

    const err = await mediator.start().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.SystemHalted });
  });

  it('rejects send() with CW_SYSTEM_HALTED, a repeat of a decided command id too', async () => {
    const { mediator, account, sent } = await closedBank();

    const fresh = await rejection(
      mediator.send(command(Deposit, account, { amount: 2 }, { actor: 'ada' })),
    );
    const repeated = await rejection(mediator.send(sent));

    expect(fresh).toMatchObject({ code: ErrorCodes.SystemHalted });
    expect(repeated).toMatchObject({ code: ErrorCodes.SystemHalted });
  });

  it('rejects query() with CW_SYSTEM_HALTED', async () => {
    const { mediator, account } = await closedBank();

    const err = await mediator.query(Balance, { account }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.SystemHalted });
  });
});
