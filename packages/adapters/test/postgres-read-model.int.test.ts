import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineEvent, EventSystem, input, newEntityId } from '@causeway/runtime';
import { CatchUpProjection, defineProjection } from '@causeway/runtime/cqrs';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { PostgresReadModel, type PostgresTransaction } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema } from './postgres-harness.ts';

const postgres = await requirePostgres();
const url = pgUrl();

const Opened = defineEvent<{ owner: string }, 'Opened'>('Opened', { entity: 'new' });
const Paid = defineEvent<{ amount: number }, 'Paid'>('Paid', { entity: 'existing' });

function totals(schema: string, failOn: (amount: number) => boolean = () => false) {
  return defineProjection<PostgresTransaction>('totals')
    .on(Opened, async (tx, e) => {
      await tx.query(
        `insert into "${schema}".totals (id, owner, total, payments) values ($1, $2, 0, 0)`,
        [e.entity, e.data.owner],
      );
    })
    .on(Paid, async (tx, e) => {
      await tx.query(
        `update "${schema}".totals set total = total + $2, payments = payments + 1 where id = $1`,
        [e.entity, e.data.amount],
      );
      if (failOn(e.data.amount)) throw new Error(`refused ${e.data.amount}`);
    })
    .clear(async (tx) => {
      await tx.query(`truncate "${schema}".totals`);
    });
}

async function ledger(amounts: number[]): Promise<{ system: EventSystem; account: string }> {
  const system = new EventSystem({ seed: 3, events: [Opened, Paid] });
  const account = newEntityId();
  await system.tick([input(Opened, account, { owner: 'ada' }, 'ada')]);
  for (const amount of amounts) await system.tick([input(Paid, account, { amount }, 'ada')]);
  return { system, account };
}

describe.skipIf(!postgres.available)('postgres read models', () => {
  let schema: string;
  let model: PostgresReadModel;

  beforeEach(async () => {
    schema = uniqueSchema();
    model = await PostgresReadModel.open(url, { schema });
    await model.query(
      `create table "${schema}".totals (id uuid primary key, owner text not null, total int not null, payments int not null)`,
    );
  });

  afterEach(async () => {
    await model.close();
    await dropSchema(url, schema);
  });

  it('writes the rows and the checkpoint of a batch together', async () => {
    const { system, account } = await ledger([5, 7]);
    const runner = new CatchUpProjection({
      projection: totals(schema),
      source: system,
      target: model,
    });

    await runner.start();

    expect(
      await model.query(`select owner, total from "${schema}".totals where id = $1`, [account]),
    ).toEqual([{ owner: 'ada', total: 12 }]);
    expect(await model.checkpoint('totals')).toBe(system.lastCommit?.lastSeq);
    await runner.stop();
  });

  it('rolls back the failing event with its checkpoint, and applies every event once after a fix', async () => {
    const { system, account } = await ledger([1, 2, 13, 4]);
    const failing = (await system.readEvents({ type: 'Paid' })).items[2];
    const broken = new CatchUpProjection({
      projection: totals(schema, (a) => a === 13),
      source: system,
      target: model,
    });
    await broken.start();
    const stoppedAt = await model.checkpoint('totals');
    const [partial] = await model.query<{ total: number }>(`select total from "${schema}".totals`);

    const fixed = new CatchUpProjection({
      projection: totals(schema),
      source: system,
      target: model,
    });
    await fixed.start();

    expect(broken.status()).toMatchObject({
      state: 'failed',
      error: { seq: failing?.seq, type: 'Paid' },
    });
    expect(stoppedAt).toBe((failing?.seq ?? 0) - 1);
    expect(partial?.total).toBe(3);
    expect(
      await model.query(`select total, payments from "${schema}".totals where id = $1`, [account]),
    ).toEqual([{ total: 20, payments: 4 }]);
    await fixed.stop();
  });

  it('waits for a position committed after it started', async () => {
    const { system, account } = await ledger([]);
    const runner = new CatchUpProjection({
      projection: totals(schema),
      source: system,
      target: model,
    });
    await runner.start();

    const tick = await system.tick([input(Paid, account, { amount: 9 }, 'ada')]);
    await runner.waitFor(tick.commit.lastSeq);

    expect(await model.query(`select total from "${schema}".totals`)).toEqual([{ total: 9 }]);
    await runner.stop();
  });

  it('rebuilds from zero to the same rows', async () => {
    const { system } = await ledger([1, 2, 3]);
    const runner = new CatchUpProjection({
      projection: totals(schema),
      source: system,
      target: model,
      batch: 2,
    });
    await runner.start();

    await runner.rebuild();

    expect(await model.query(`select total, payments from "${schema}".totals`)).toEqual([
      { total: 6, payments: 3 },
    ]);
    expect(await model.checkpoint('totals')).toBe(system.lastCommit?.lastSeq);
    await runner.stop();
  });
});
