import { describe, expect, it } from 'vitest';
import { ErrorCodes, newEntityId } from '../src/index.ts';
import {
  CatchUpProjection,
  command,
  defineProjection,
  MemoryReadModel,
  projectInline,
  type MemoryTransaction,
  type Mediator,
} from '../src/cqrs/index.ts';
import {
  bankMediator,
  bankSystem,
  Deposit,
  Deposited,
  openAccount,
  AccountOpened,
  type Bank,
} from './fixtures/bank.ts';

interface Row {
  owner: string;
  deposits: number;
}

function ledger(fail: (amount: number) => boolean = () => false) {
  const calls = { count: 0 };
  const projection = defineProjection<MemoryTransaction<Row>>('ledger')
    .on(AccountOpened, (tx, e) => {
      calls.count++;
      tx.set(e.entity, { owner: e.data.owner, deposits: 0 });
    })
    .on(Deposited, (tx, e) => {
      calls.count++;
      if (fail(e.data.amount)) throw new Error(`cannot book ${e.data.amount}`);
      const row = tx.get(e.entity) as Row;
      tx.set(e.entity, { ...row, deposits: row.deposits + e.data.amount });
    });
  return { projection, calls };
}

/** The ledger projection following `mediator`'s system into a new memory read model. */
function ledgerRunner(mediator: Mediator<Bank>) {
  const target = new MemoryReadModel<Row>();
  const runner = new CatchUpProjection({
    projection: ledger().projection,
    source: mediator.system,
    target,
  });
  return { target, runner };
}

async function bankWithDeposits(
  amounts: number[],
): Promise<{ mediator: Mediator<Bank>; account: string }> {
  const mediator = bankMediator(bankSystem());
  const account = await openAccount(mediator, 'ada', newEntityId());
  for (const amount of amounts)
    await mediator.send(command(Deposit, account, { amount }, { actor: 'ada' }));
  return { mediator, account };
}

describe('catch-up projections', () => {
  it('catches up from zero into its read model', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2, 3]);
    const { target, runner } = ledgerRunner(mediator);

    await runner.start();

    expect(target.get(account)).toEqual({ owner: 'ada', deposits: 6 });
    expect(runner.status()).toMatchObject({
      checkpoint: mediator.system.lastCommit?.lastSeq,
      state: 'running',
    });
    await runner.stop();
  });

  it('hands out frozen rows: a caller cannot change the read model behind its projection', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2]);
    const { target, runner } = ledgerRunner(mediator);
    await runner.start();

    const row = target.get(account) as Row;
    expect(() => {
      row.deposits = 1000;
    }).toThrow(TypeError);
    expect(Object.isFrozen(target.rows().get(account))).toBe(true);
    await mediator.send(command(Deposit, account, { amount: 4 }, { actor: 'ada' }));
    await runner.waitFor(mediator.system.lastCommit?.lastSeq ?? 0);
    expect(target.get(account)).toEqual({ owner: 'ada', deposits: 7 });
    await runner.stop();
  });

  it('waits for a position committed after it started (read your writes)', async () => {
    const { mediator, account } = await bankWithDeposits([]);
    const { target, runner } = ledgerRunner(mediator);
    await runner.start();

    await mediator.send(command(Deposit, account, { amount: 9 }, { actor: 'ada' }));
    await runner.waitFor(mediator.system.lastCommit?.lastSeq ?? 0);

    expect(target.get(account)?.deposits).toBe(9);
    await runner.stop();
  });

  it('rejects a waitFor past its checkpoint made after stop() with CW_PROJECTION_FAILED, not waiting forever', async () => {
    const { mediator, account } = await bankWithDeposits([1]);
    const runner = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target: new MemoryReadModel<Row>(),
    });
    await runner.start();
    await runner.stop();
    await mediator.send(command(Deposit, account, { amount: 2 }, { actor: 'ada' }));

    const waiting = runner.waitFor(mediator.system.lastCommit?.lastSeq ?? 0);

    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.ProjectionFailed });
  });

  it('refuses options without a projection, a source or a target with CW_INVALID_ARGUMENT', async () => {
    const { mediator } = await bankWithDeposits([]);
    const projection = ledger().projection;
    const target = new MemoryReadModel<Row>();

    for (const options of [
      { projection: undefined, source: mediator.system, target },
      { projection, source: mediator.system, target: undefined },
      { projection, source: undefined, target },
    ]) {
      expect(() => new CatchUpProjection(options as never)).toThrow(
        expect.objectContaining({ code: ErrorCodes.InvalidArgument }),
      );
    }
  });

  it('applies nothing, and stays stopped, when stop() is called while it starts or rebuilds', async () => {
    const { mediator, account } = await bankWithDeposits([1]);
    const { target, runner } = ledgerRunner(mediator);

    const starting = runner.start();
    await runner.stop();
    await starting;
    const rebuilding = runner.rebuild();
    await runner.stop();
    await rebuilding;
    await mediator.send(command(Deposit, account, { amount: 2 }, { actor: 'ada' }));
    await new Promise((resolve) => setTimeout(resolve, 20)); // lets a wrongly running follower run

    expect(runner.status()).toMatchObject({ state: 'stopped', checkpoint: 0 });
    expect(target.rows().size).toBe(0);
  });

  it('stops at the event whose handler throws, keeping the checkpoint before it', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2, 13, 4]);
    const failing = (await mediator.system.readEvents({ type: 'Deposited' })).items[2];
    const target = new MemoryReadModel<Row>();
    const runner = new CatchUpProjection({
      projection: ledger((amount) => amount === 13).projection,
      source: mediator.system,
      target,
    });

    await runner.start();

    expect(runner.status()).toEqual({
      name: 'ledger',
      checkpoint: (failing?.seq ?? 0) - 1,
      state: 'failed',
      error: { seq: failing?.seq, type: 'Deposited', message: 'cannot book 13' },
    });
    expect(target.get(account)?.deposits).toBe(3);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])(
    'stops at the event whose handler throws %s, applying nothing past it',
    async (_label, thrown) => {
      const { mediator, account } = await bankWithDeposits([1, 2, 13, 4]);
      const failing = (await mediator.system.readEvents({ type: 'Deposited' })).items[2];
      const target = new MemoryReadModel<Row>();
      const projection = defineProjection<MemoryTransaction<Row>>('ledger')
        .on(AccountOpened, (tx, e) => tx.set(e.entity, { owner: e.data.owner, deposits: 0 }))
        .on(Deposited, (tx, e) => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- a careless handler
          if (e.data.amount === 13) throw thrown;
          const row = tx.get(e.entity) as Row;
          tx.set(e.entity, { ...row, deposits: row.deposits + e.data.amount });
        });
      const runner = new CatchUpProjection({ projection, source: mediator.system, target });

      await runner.start();
      const waited = await runner
        .waitFor(mediator.system.lastCommit?.lastSeq ?? 0)
        .catch((e: unknown) => e);

      expect(runner.status()).toMatchObject({
        checkpoint: (failing?.seq ?? 0) - 1,
        state: 'failed',
        error: { seq: failing?.seq, type: 'Deposited', message: String(thrown) },
      });
      expect(await target.checkpoint('ledger')).toBe((failing?.seq ?? 0) - 1);
      expect(target.get(account)?.deposits).toBe(3);
      expect(waited).toMatchObject({ code: ErrorCodes.ProjectionFailed });
    },
  );

  it('refuses to wait for a seq that is not one (no commit yet: lastCommit?.lastSeq)', async () => {
    const mediator = bankMediator(bankSystem());
    const runner = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target: new MemoryReadModel<Row>(),
    });
    await runner.start();

    const err = await runner
      .waitFor(mediator.system.lastCommit?.lastSeq as number)
      .catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.InvalidArgument });
    await runner.stop();
  });

  it('gives the same rows whatever its batch when a handler changes a row in place without setting it', async () => {
    const { mediator, account } = await bankWithDeposits([5, 7]);
    const careless = defineProjection<MemoryTransaction<Row>>('ledger')
      .on(AccountOpened, (tx, e) => tx.set(e.entity, { owner: e.data.owner, deposits: 0 }))
      .on(Deposited, (tx, e) => {
        const row = tx.get(e.entity) as Row;
        row.deposits += e.data.amount; // in place, and never set
      });
    const rowsWith = async (batch: number) => {
      const target = new MemoryReadModel<Row>();
      const runner = new CatchUpProjection({
        projection: careless,
        source: mediator.system,
        target,
        batch,
      });
      await runner.start();
      await runner.stop();
      return target.get(account);
    };

    const onePerPage = await rowsWith(1);
    const allInOne = await rowsWith(500);

    expect(allInOne).toEqual(onePerPage);
    expect(allInOne).toEqual({ owner: 'ada', deposits: 0 });
  });

  it('applies an event once although its handler changed a stored row in place before a later event failed', async () => {
    const { mediator, account } = await bankWithDeposits([]);
    const target = new MemoryReadModel<Row>();
    const projection = defineProjection<MemoryTransaction<Row>>('ledger')
      .on(AccountOpened, (tx, e) => tx.set(e.entity, { owner: e.data.owner, deposits: 0 }))
      .on(Deposited, (tx, e) => {
        if (e.data.amount === 13) throw new Error('cannot book 13');
        const row = tx.get(e.entity) as Row;
        row.deposits += e.data.amount; // in place, then written back
        tx.set(e.entity, row);
      });
    const runner = new CatchUpProjection({ projection, source: mediator.system, target });
    await runner.start(); // the account's row is stored
    await runner.stop();
    for (const amount of [1, 13])
      await mediator.send(command(Deposit, account, { amount }, { actor: 'ada' }));

    await runner.start(); // one batch: the deposit of 1, then the failing one

    expect(runner.status().state).toBe('failed');
    expect(target.get(account)?.deposits).toBe(1);
  });

  it('rejects waitFor past the failed event with CW_PROJECTION_FAILED', async () => {
    const { mediator } = await bankWithDeposits([13]);
    const runner = new CatchUpProjection({
      projection: ledger((amount) => amount === 13).projection,
      source: mediator.system,
      target: new MemoryReadModel<Row>(),
    });
    await runner.start();

    const err = await runner
      .waitFor(mediator.system.lastCommit?.lastSeq ?? 0)
      .catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.ProjectionFailed });
  });

  it('resumes from its checkpoint once the handler is fixed', async () => {
    const { mediator, account } = await bankWithDeposits([1, 13, 4]);
    let broken = true;
    const target = new MemoryReadModel<Row>();
    const runner = new CatchUpProjection({
      projection: ledger((amount) => broken && amount === 13).projection,
      source: mediator.system,
      target,
    });
    await runner.start();

    broken = false;
    await runner.resume();

    expect(runner.status().state).toBe('running');
    expect(target.get(account)?.deposits).toBe(18);
    await runner.stop();
  });

  it('continues from the stored checkpoint in a new instance without applying anything twice', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2]);
    const target = new MemoryReadModel<Row>();
    const first = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target,
    });
    await first.start();
    await first.stop();
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));
    const { projection, calls } = ledger();

    const second = new CatchUpProjection({ projection, source: mediator.system, target });
    await second.start();

    expect(calls.count).toBe(1);
    expect(target.get(account)?.deposits).toBe(8);
    await second.stop();
  });

  it('refuses to start a second projection of the same name on the same target with CW_INVALID_ARGUMENT, applying nothing', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2]);
    const { target, runner: first } = ledgerRunner(mediator);
    await first.start();
    const { projection, calls } = ledger();
    const second = new CatchUpProjection({ projection, source: mediator.system, target });

    const err = await second.start().catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: ErrorCodes.InvalidArgument,
      details: { projection: 'ledger', target: 'memory read model' },
    });
    expect((err as Error).message).toMatch(/"ledger" is already running on memory read model/);
    expect((err as Error).message).toMatch(/stop\(\) of the running one/);
    expect(calls.count).toBe(0);
    expect(target.get(account)?.deposits).toBe(3);
    await first.stop();
  });

  it('refuses the later of two starts made at once under one name on one target', async () => {
    const { mediator } = await bankWithDeposits([1]);
    const { target, runner: first } = ledgerRunner(mediator);
    const second = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target,
    });

    const results = await Promise.allSettled([first.start(), second.start()]);

    expect(results[0]).toMatchObject({ status: 'fulfilled' });
    expect(results[1]).toMatchObject({
      status: 'rejected',
      reason: { code: ErrorCodes.InvalidArgument },
    });
    await first.stop();
  });

  it('starts a projection of the same name on another target, and the same instance again after stop()', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2]);
    const { target, runner } = ledgerRunner(mediator);
    const elsewhere = ledgerRunner(mediator);
    await runner.start();
    await elsewhere.runner.start();
    await runner.stop();
    await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));

    await runner.start();
    await runner.waitFor(mediator.system.lastCommit?.lastSeq ?? 0);
    await elsewhere.runner.waitFor(mediator.system.lastCommit?.lastSeq ?? 0);

    expect(target.get(account)?.deposits).toBe(8);
    expect(elsewhere.target.get(account)?.deposits).toBe(8);
    await runner.stop();
    await elsewhere.runner.stop();
  });

  it('lets a new instance take over from a failed one, whose resume() is then refused', async () => {
    const { mediator, account } = await bankWithDeposits([1, 13, 4]);
    const target = new MemoryReadModel<Row>();
    const failed = new CatchUpProjection({
      projection: ledger((amount) => amount === 13).projection,
      source: mediator.system,
      target,
    });
    await failed.start();
    const fixed = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target,
    });

    await fixed.start();
    const err = await failed.resume().catch((e: unknown) => e);

    expect(failed.status().state).toBe('failed');
    expect(err).toMatchObject({ code: ErrorCodes.InvalidArgument });
    expect(target.get(account)?.deposits).toBe(18);
    await fixed.stop();
  });

  it('rebuilds from zero to the same rows', async () => {
    const { mediator, account } = await bankWithDeposits([1, 2, 3]);
    const target = new MemoryReadModel<Row>();
    const runner = new CatchUpProjection({
      projection: ledger().projection,
      source: mediator.system,
      target,
      batch: 2,
    });
    await runner.start();

    await runner.rebuild();

    expect(target.get(account)).toEqual({ owner: 'ada', deposits: 6 });
    expect(runner.status().checkpoint).toBe(mediator.system.lastCommit?.lastSeq);
    await runner.stop();
  });
});

describe('inline projections', () => {
  it('updates a read model in state in the tick that commits the event', async () => {
    const system = bankSystem(undefined, {
      initialState: { accounts: {}, depositCount: {} } as Bank,
    });
    projectInline(system, Deposited, (draft, e) => {
      const counts = (draft as Bank & { depositCount: Record<string, number> }).depositCount;
      counts[e.entity] = (counts[e.entity] ?? 0) + 1;
    });
    const mediator = bankMediator(system);
    const account = await openAccount(mediator, 'ada', newEntityId());

    await mediator.send(command(Deposit, account, { amount: 1 }, { actor: 'ada' }));

    expect(
      (system.state as unknown as { depositCount: Record<string, number> }).depositCount[account],
    ).toBe(1);
  });
});
