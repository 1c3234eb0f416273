import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DataLoader from 'dataloader';
import { execute, parse } from 'graphql';
import pg from 'pg';
import type { Event, EventStore as EmmettEventStore } from '@event-driven-io/emmett';
import {
  defineEvent,
  EventSystem,
  MemoryStore,
  newEntityId,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { command, defineCommand, Mediator } from '@causeway/runtime/cqrs';
import { FileStore } from '@causeway/adapters/file';
import { PostgresReadModel, PostgresStore } from '@causeway/adapters/postgres';
import {
  bankMediator,
  bankSchema,
  OpenAccount,
  RegisterUser,
  type BankLoaders,
  type BankState,
} from '../../packages/adapters/test/graphql-bank.ts';
import type { GraphqlContext } from '@causeway/adapters/graphql';
import { measureRate, type Recorder, type Suite } from '../harness.ts';

// ---- The workload: ENTITIES counters, COMMANDS_EACH commands each; every command reads the
// ---- counter's state and emits one event with the new value.

const ENTITIES = Number(process.env['CQRS_BENCH_ENTITIES'] ?? 1000);
// The sequential case can be run on fewer entities (one sender waits for each commit, which
// takes minutes for the durable systems on a loaded machine); the results name the count.
const SEQUENTIAL_ENTITIES = Number(process.env['CQRS_BENCH_SEQUENTIAL_ENTITIES'] ?? ENTITIES);
const COMMANDS_EACH = 10;
const SAMPLES = 5;
const PG_URL = process.env['CAUSEWAY_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const Counted = defineEvent<{ value: number }, 'bench.Counted'>('bench.Counted', {
  entity: 'any',
});
const Count = defineCommand<{ by: number }, { value: number }, never, 'bench.Count'>('bench.Count');
interface Counters {
  counters: Table<number>;
}

/** One system under test: what runs one sample, made fresh before each sample. */
interface Contender {
  readonly system: string;
  /** Whether each command waits for a disk or a database (fewer warm-up samples). */
  readonly durable: boolean;
  /** Makes a fresh system; returns the function that sends one command about `entity`. */
  fresh(): Promise<(entity: number) => Promise<unknown>>;
  done(): Promise<void>;
}

function causeway(system: string, durable: boolean, makeStore: () => EventStore): Contender {
  let current: Mediator<Counters> | null = null;
  return {
    system,
    durable,
    async fresh() {
      await current?.system.close();
      const events = new EventSystem<Counters>({
        seed: 1,
        store: makeStore(),
        initialState: { counters: {} },
        events: [Counted],
        activities: 0,
        snapshotEvery: 0,
      });
      events.apply(Counted, (d, e) => {
        d.counters[e.entity] = e.data.value;
      });
      const mediator = new Mediator(events, { commands: [Count] }).handle(Count, (cmd, ctx) => {
        const value = (ctx.state.counters[cmd.entity] ?? 0) + cmd.payload.by;
        ctx.emit(Counted, cmd.entity, { value });
        return { value };
      });
      await mediator.start();
      current = mediator;
      const ids = Array.from({ length: ENTITIES }, () => newEntityId());
      return (entity) =>
        mediator.send(command(Count, ids[entity] as string, { by: 1 }, { actor: 'bench' }));
    },
    async done() {
      await current?.system.close();
    },
  };
}

type EmmettCounted = Event<'Counted', { value: number }>;

function emmett(
  system: string,
  durable: boolean,
  makeStore: () => EmmettEventStore,
  close: () => Promise<void>,
) {
  return async (): Promise<Contender> => {
    const { CommandHandler } = await import('@event-driven-io/emmett');
    const handle = CommandHandler<{ value: number }, EmmettCounted>({
      evolve: (_state, event) => ({ value: event.data.value }),
      initialState: () => ({ value: 0 }),
    });
    let samples = 0;
    let store: EmmettEventStore | null = null;
    return {
      system,
      durable,
      fresh() {
        store ??= makeStore();
        const s = store;
        const prefix = `counter-${++samples}-${Date.now().toString(36)}`;
        return Promise.resolve((entity) =>
          handle(s, `${prefix}-${entity}`, (state) => ({
            type: 'Counted',
            data: { value: state.value + 1 },
          })),
        );
      },
      done: close,
    };
  };
}

async function nest(): Promise<Contender> {
  const { CommandBus } = await import('@nestjs/cqrs');
  // Nest's CommandBus without its module system: the command's id is the metadata its
  // @Command decorator would set, and the handler is bound as a static instance.
  class CountCommand {
    constructor(
      readonly entity: number,
      readonly by: number,
    ) {}
  }
  Reflect.defineMetadata('__command__', { id: 'bench.Count' }, CountCommand);
  return {
    system: 'nestjs-cqrs',
    durable: false,
    fresh() {
      const state = new Map<number, number>();
      const events: { type: string; entity: number; value: number }[] = [];
      const bus = new CommandBus(null as never, {});
      bus.bind(
        {
          isDependencyTreeStatic: () => true,
          instance: {
            execute(c: CountCommand) {
              const value = (state.get(c.entity) ?? 0) + c.by;
              state.set(c.entity, value);
              events.push({ type: 'Counted', entity: c.entity, value });
              return Promise.resolve({ value });
            },
          },
        } as never,
        'bench.Count',
      );
      return Promise.resolve((entity) => bus.execute(new CountCommand(entity, 1)));
    },
    done: () => Promise.resolve(),
  };
}

async function sequential(send: (entity: number) => Promise<unknown>): Promise<void> {
  for (let round = 0; round < COMMANDS_EACH; round++)
    for (let entity = 0; entity < SEQUENTIAL_ENTITIES; entity++) await send(entity);
}

async function concurrent(send: (entity: number) => Promise<unknown>): Promise<void> {
  await Promise.all(
    Array.from({ length: ENTITIES }, async (_, entity) => {
      for (let round = 0; round < COMMANDS_EACH; round++) await send(entity);
    }),
  );
}

async function commandCases(recorder: Recorder, contenders: readonly Contender[]): Promise<void> {
  for (const [name, drive, total] of [
    ['commands-sequential', sequential, SEQUENTIAL_ENTITIES * COMMANDS_EACH],
    ['commands-concurrent', concurrent, ENTITIES * COMMANDS_EACH],
  ] as const) {
    for (const c of contenders) {
      recorder.progress(`${name}: ${c.system}, ${total} commands a sample`);
      let send: ((entity: number) => Promise<unknown>) | null = null;
      const rates = await measureRate(() => drive(send as (e: number) => Promise<unknown>), total, {
        samples: SAMPLES,
        warmup: c.durable ? 1 : 3,
        before: async () => {
          send = await c.fresh();
        },
      });
      recorder.record(name, c.system, 'commands/s', rates);
    }
  }
}

// ---- graphql-list-100: a page of 100 accounts, each with its holder read from a Postgres
// ---- read model: one batched query per request (DataLoader) or one query per account.

const LIST = 100;
const LIST_QUERY = parse(
  `{ accounts(first: ${LIST}) { edges { node { id balance holder { id name } } } } }`,
);

async function graphqlCases(recorder: Recorder, schema: string): Promise<void> {
  const mediator = bankMediator();
  const model = await PostgresReadModel.open(PG_URL, { schema, poolSize: 8 });
  try {
    await model.query(`create table "${schema}".users (id uuid primary key, name text not null)`);
    const holders: string[] = [];
    for (let i = 0; i < LIST; i++) {
      const user = newEntityId();
      const account = newEntityId();
      holders.push(user);
      await mediator.send(command(RegisterUser, user, { name: `user ${i}` }, { actor: 'bench' }));
      await mediator.send(command(OpenAccount, account, { holder: user }, { actor: 'bench' }));
      await model.query(`insert into "${schema}".users (id, name) values ($1, $2)`, [
        user,
        `user ${i}`,
      ]);
    }
    const loaders = (batch: boolean): BankLoaders => ({
      users: new DataLoader<string, { id: string; name: string } | null>(
        async (ids) => {
          const rows = await model.query<{ id: string; name: string }>(
            `select id, name from "${schema}".users where id = any($1)`,
            [[...ids]],
          );
          const byId = new Map(rows.map((r) => [r.id, r]));
          return ids.map((id) => byId.get(id) ?? null);
        },
        { batch },
      ),
    });
    const QUERIES = 50;
    for (const [system, batch] of [
      ['causeway-dataloader', true],
      ['causeway-no-dataloader', false],
    ] as const) {
      recorder.progress(`graphql-list-100: ${system}, ${QUERIES} queries a sample`);
      const rates = await measureRate(
        async () => {
          for (let q = 0; q < QUERIES; q++) {
            const contextValue: GraphqlContext<BankState, BankLoaders> = {
              principal: { id: 'bench', claims: {} },
              mediator,
              loaders: loaders(batch),
            };
            const result = await execute({
              schema: bankSchema,
              document: LIST_QUERY,
              contextValue,
            });
            if (result.errors !== undefined) throw new Error(result.errors[0]?.message);
          }
        },
        QUERIES,
        { samples: SAMPLES, warmup: 1 },
      );
      recorder.record('graphql-list-100', system, 'queries/s', rates);
    }
  } finally {
    await model.query(`drop schema if exists "${schema}" cascade`);
    await model.close();
    await mediator.system.close();
  }
}

/** Commands per second through Causeway's mediator and its peers', and GraphQL list queries. */
export const cqrsSuite: Suite = {
  name: 'cqrs',
  description: `commands reading state and emitting one event, ${COMMANDS_EACH} per entity: one sender over ${SEQUENTIAL_ENTITIES} entities, and ${ENTITIES} concurrent senders (one per entity) (commands/s); a GraphQL list of ${LIST} items with a related entity each (queries/s)`,
  async run(recorder) {
    const dir = await mkdtemp(join(tmpdir(), 'cw-bench-cqrs-'));
    const run = `${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: databaseUrl(PG_URL, 'postgres') });
    await admin.connect();
    const emmettDb = `cw_bench_cqrs_emmett_${run}`;
    const schemas: string[] = [];
    const schema = (what: string): string => {
      const name = `cw_bench_cqrs_${what}${schemas.length + 1}_${run}`;
      schemas.push(name);
      return name;
    };
    const contenders: Contender[] = [];
    try {
      await admin.query(`create database ${emmettDb}`);
      let files = 0;
      contenders.push(
        causeway('causeway-memory', false, () => new MemoryStore()),
        causeway(
          'causeway-file',
          true,
          () => new FileStore({ dir: join(dir, `log-${++files}`), durability: 'commit' }),
        ),
        causeway(
          'causeway-postgres',
          true,
          () => new PostgresStore(PG_URL, { schema: schema('log') }),
        ),
      );
      const { getInMemoryEventStore } = await import('@event-driven-io/emmett');
      contenders.push(
        await emmett(
          'emmett-memory',
          false,
          () => getInMemoryEventStore(),
          () => Promise.resolve(),
        )(),
      );
      const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
      const emmettPg = getPostgreSQLEventStore(databaseUrl(PG_URL, emmettDb));
      contenders.push(
        await emmett(
          'emmett-postgresql',
          true,
          () => emmettPg,
          () => emmettPg.close(),
        )(),
      );
      contenders.push(await nest());
      await commandCases(recorder, contenders);
      await graphqlCases(recorder, schema('graphql'));
    } finally {
      for (const c of contenders) await c.done().catch(() => undefined);
      const test = new pg.Client({ connectionString: PG_URL });
      await test.connect();
      for (const s of schemas) await test.query(`drop schema if exists ${s} cascade`);
      await test.end();
      await admin.query(`drop database if exists ${emmettDb} with (force)`).catch(() => undefined);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
}
