/**
 * The crash proof of the durable stores: a worker process runs a scripted deterministic workload
 * and is SIGKILLed at random moments, restarted and finally left to finish. Every
 * acknowledgement it printed before a kill must be in the store afterwards, and the finished log
 * must be the uninterrupted run's, event for event and commit for commit.
 *
 * The kill plans come from a seeded PRNG whose seed is printed; `CAUSEWAY_CRASH_SEED=<seed>`
 * replays the same plans (where a kill lands within the worker's run still depends on timing).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstDivergence, formatDivergence, MemoryStore } from '@causeway/runtime';
import { TickRandom } from '../../packages/runtime/src/random/index.ts';
import type { EventStore, InputRecord, StoredEnvelope, TickCommit } from '@causeway/runtime';
import { openStore } from '@causeway/adapters';
import { pgUrl, redact, requirePostgres } from '../services.ts';
import { makeBank, runWorkload } from './workload.ts';
import { runWorker, type KillPlan, type WorkerRun } from './worker-process.ts';

const ci = process.env['CI'] === 'true';
const seed = Number(process.env['CAUSEWAY_CRASH_SEED'] ?? randomInt(0, 2 ** 32));
const kills = ci ? { file: 60, postgres: 40 } : { file: 24, postgres: 16 };
console.log(
  `crash proof: seed ${seed}, ${kills.file} file and ${kills.postgres} Postgres kills (reproduce the kill plans with CAUSEWAY_CRASH_SEED=${seed})`,
);

const postgres = await requirePostgres();

/** Everything a log holds that a crash could lose or change. */
interface Log {
  readonly inputs: readonly InputRecord[];
  readonly events: readonly StoredEnvelope[];
  readonly commits: readonly TickCommit[];
}

async function readLog(store: EventStore): Promise<Log> {
  const inputs: InputRecord[] = [];
  for (let page = await store.readInputs(0, 1000); page.length > 0;) {
    inputs.push(...page);
    page = await store.readInputs((page.at(-1) as InputRecord).ino, 1000);
  }
  const commits: TickCommit[] = [];
  for (let page = await store.readCommits(0, 1000); page.length > 0;) {
    commits.push(...page);
    page = await store.readCommits((page.at(-1) as TickCommit).tick, 1000);
  }
  const events: StoredEnvelope[] = [];
  for (let from: number | null = 1; from !== null;) {
    const page = await store.readEvents({ fromSeq: from, limit: 10_000 });
    events.push(...page.items);
    from = page.next;
  }
  return { inputs, events, commits };
}

/** Opens the store at `url` to read, runs `fn` on it and closes it. */
async function reading<T>(url: string, fn: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openStore(url, { readOnly: true });
  await store.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A fresh, empty store and the way to remove it. */
interface Location {
  readonly url: string;
  dispose(): Promise<void>;
}

async function freshFolder(): Promise<Location> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-crash-'));
  return { url: `file:${dir}`, dispose: () => rm(dir, { recursive: true, force: true }) };
}

function freshSchema(): Promise<Location> {
  const schema = `cw_crash_${randomBytes(6).toString('hex')}`;
  const url = new URL(pgUrl());
  url.searchParams.set('schema', schema);
  return Promise.resolve({
    url: url.href,
    async dispose() {
      const client = new pg.Client({ connectionString: pgUrl() });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  });
}

function planKill(random: TickRandom): KillPlan {
  // Half the kills land at a random moment (startup, opening, rebuild, anywhere in the run);
  // half right after an acknowledgement, which is where a journaled input waits for its commit.
  return random.float() < 0.5
    ? { after: 'delay', ms: 300 + Math.floor(random.float() * 1500) }
    : { after: 'ack', n: 1 + Math.floor(random.float() * 60) };
}

interface Figures {
  kills: number;
  afterDelay: number;
  afterAck: number;
  beforeOpen: number;
  uncommitted: number;
  restarts: number;
  finished: number;
  acked: number;
  events: number;
}

function describeRun(run: WorkerRun): string {
  const end =
    run.signal !== null ? `was killed by ${run.signal}` : `exited with code ${String(run.code)}`;
  return `The worker ${end} after acknowledging ${run.inputs.length} inputs and ${run.ticks.length} ticks. Its stderr:\n${run.stderr}`;
}

/**
 * Checks that a killed run lost nothing it acknowledged: its inputs are journaled and its ticks
 * committed, exactly as the uninterrupted run journaled and committed them.
 */
async function checkAcknowledged(
  url: string,
  run: WorkerRun,
  reference: Log,
  figures: Figures,
): Promise<void> {
  const lastIno = Math.max(0, ...run.inputs);
  const lastTick = Math.max(0, ...run.ticks);
  await reading(url, async (store) => {
    const log = await readLog(store);
    const journaled = log.inputs.at(-1)?.ino ?? 0;
    const committed = log.commits.at(-1);
    expect(
      journaled,
      `input ${lastIno} was acknowledged before the kill, but the journal ends at input ${journaled}`,
    ).toBeGreaterThanOrEqual(lastIno);
    expect(
      committed?.tick ?? 0,
      `tick ${lastTick} was acknowledged before the kill, but the last commit is tick ${committed?.tick ?? 0}`,
    ).toBeGreaterThanOrEqual(lastTick);
    expect(
      log.inputs,
      "the journal after the kill is not a prefix of the uninterrupted run's",
    ).toEqual(reference.inputs.slice(0, log.inputs.length));
    expect(
      log.commits,
      "the commits after the kill are not a prefix of the uninterrupted run's",
    ).toEqual(reference.commits.slice(0, log.commits.length));
    if (journaled > (committed?.lastInput ?? 0)) figures.uncommitted++;
  });
}

/** Checks that a finished log is the uninterrupted run's, reporting the first divergence if not. */
async function checkFinished(
  url: string,
  reference: MemoryStore,
  expected: Log,
  side: string,
): Promise<number> {
  return reading(url, async (store) => {
    const check = await firstDivergence(reference, store, { sides: ['uninterrupted', side] });
    if (!check.ok) expect.fail(`${formatDivergence(check.divergence)}\n(crash seed ${seed})`);
    const log = await readLog(store);
    expect(log.inputs).toEqual(expected.inputs);
    expect(log.commits).toEqual(expected.commits);
    expect(log.events).toEqual(expected.events);
    return log.events.length;
  });
}

/**
 * Kills and restarts the worker on fresh stores until `target` kills have landed, lets each
 * store's run finish, and checks every acknowledgement and every finished log.
 */
async function crashCampaign(
  name: string,
  target: number,
  fresh: () => Promise<Location>,
  random: TickRandom,
  reference: { readonly name: string; readonly log: Log },
): Promise<Figures> {
  const figures: Figures = {
    kills: 0,
    afterDelay: 0,
    afterAck: 0,
    beforeOpen: 0,
    uncommitted: 0,
    restarts: 0,
    finished: 0,
    acked: 0,
    events: 0,
  };
  while (figures.kills < target) {
    const location = await fresh();
    let passed = false;
    try {
      for (let spawned = 0; ; spawned++) {
        const plan: KillPlan = figures.kills < target ? planKill(random) : { after: 'never' };
        if (spawned > 0) figures.restarts++;
        const run = await runWorker(location.url, plan);
        figures.acked += run.inputs.length;
        if (!run.killed) {
          expect(run.code, describeRun(run)).toBe(0);
          expect(run.done, describeRun(run)).toBe(true);
          break;
        }
        figures.kills++;
        if (plan.after === 'delay') figures.afterDelay++;
        else figures.afterAck++;
        if (run.resumed === null) figures.beforeOpen++;
        await checkAcknowledged(location.url, run, reference.log, figures);
      }
      const memory = new MemoryStore({ name: reference.name, readOnly: true });
      figures.events = await checkFinished(
        location.url,
        memory,
        reference.log,
        `${name} after kills`,
      );
      figures.finished++;
      passed = true;
    } finally {
      // A failing store is kept for a look (causeway store check, or psql on the schema).
      if (passed) await location.dispose();
      else console.error(`crash ${name}: the store that failed is kept at ${redact(location.url)}`);
    }
  }
  return figures;
}

function summary(name: string, f: Figures, started: number): string {
  const elapsed = ((performance.now() - started) / 1000).toFixed(1);
  return `crash ${name}: ${f.kills} kills (${f.afterDelay} after a random delay, ${f.afterAck} right after an ack; ${f.uncommitted} left inputs journaled but uncommitted, ${f.beforeOpen} landed before the store opened), ${f.restarts} restarts, ${f.finished} runs finished, ${f.acked} acked inputs, ${f.events} events per log, ${elapsed} s`;
}

/** Thrown by a report to stop the workload right after an acknowledgement, as a crash would. */
class Stopped extends Error {}

describe('crash recovery: the log is the queue', () => {
  const reference = {
    name: `crash-reference-${seed}`,
    log: { inputs: [], events: [], commits: [] } as Log,
  };

  beforeAll(async () => {
    const system = makeBank(new MemoryStore({ name: reference.name }));
    await runWorkload(system, {
      resumed: () => undefined,
      input: () => undefined,
      tick: () => undefined,
    });
    reference.log = await readLog(system.store);
    await system.close();
  });

  it('a system stopped seven acknowledgements into each run and reopened, in process, finishes with the uninterrupted log', async () => {
    const name = `crash-stops-${seed}`;
    let restarts = 0;
    for (let finished = false; !finished; restarts++) {
      const system = makeBank(new MemoryStore({ name }));
      let acks = 0;
      const stopAfterSeventh = (): void => {
        if (++acks === 7) throw new Stopped();
      };
      try {
        await runWorkload(system, {
          resumed: () => undefined,
          input: stopAfterSeventh,
          tick: stopAfterSeventh,
        });
        finished = true;
      } catch (err) {
        if (!(err instanceof Stopped)) throw err;
      } finally {
        await system.close();
      }
    }
    const memory = new MemoryStore({ name, readOnly: true });
    const check = await firstDivergence(
      new MemoryStore({ name: reference.name, readOnly: true }),
      memory,
      {
        sides: ['uninterrupted', `stopped ${restarts - 1} times`],
      },
    );
    if (!check.ok) expect.fail(formatDivergence(check.divergence));
    expect(await readLog(memory)).toEqual(reference.log);
  });

  it('file store: loses no acknowledged input and finishes with the uninterrupted log', async () => {
    const started = performance.now();
    const figures = await crashCampaign(
      'file',
      kills.file,
      freshFolder,
      new TickRandom(seed, 1),
      reference,
    );
    console.log(summary('file', figures, started));
    expect(figures.kills).toBeGreaterThanOrEqual(kills.file);
  });

  it.skipIf(!postgres.available)(
    `postgres store at ${redact(pgUrl())}: loses no acknowledged input and finishes with the uninterrupted log`,
    async () => {
      const started = performance.now();
      const figures = await crashCampaign(
        'postgres',
        kills.postgres,
        freshSchema,
        new TickRandom(seed, 2),
        reference,
      );
      console.log(summary('postgres', figures, started));
      expect(figures.kills).toBeGreaterThanOrEqual(kills.postgres);
    },
  );
});
