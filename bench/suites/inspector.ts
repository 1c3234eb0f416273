import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '@causeway/adapters/file';
import { MemoryStore, type EventSystem } from '@causeway/runtime';
import { attachInspector } from '@causeway/inspector/agent';
import { InspectorClient, type SocketConstructor } from '@causeway/inspector/client';
import { WebSocket } from 'ws';
import type { Recorder, Suite } from '../harness.ts';
import { counterId, inputsOf, makeSystem, START, type BenchCounters } from './inspector-app.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const EVENTS = Number(process.env['CAUSEWAY_BENCH_INSPECTOR_EVENTS'] ?? 1_000_000);
const COUNTERS = 1000;
const PER_TICK = 100;
const LOG_DIR = join(tmpdir(), `causeway-bench-inspector-${EVENTS}`);

/**
 * Loads what measures the time from `open` to the first rendered timeline in a browser, given
 * the URL the CLI printed (null where there is no browser). The UI's benchmark sets it; while
 * it is null, `first-paint` is not measured.
 */
export const firstPaintHook: {
  load: (() => Promise<((url: string) => Promise<number>) | null>) | null;
} = {
  load: null,
};

function connect(url: string): Promise<InspectorClient> {
  return InspectorClient.connect(url, { WebSocket: WebSocket as unknown as SocketConstructor });
}

/** Writes the benchmark log once (reused while its folder exists). */
async function ensureLog(recorder: Recorder): Promise<void> {
  if (existsSync(join(LOG_DIR, 'complete'))) return;
  rmSync(LOG_DIR, { recursive: true, force: true });
  recorder.progress(`writing a ${EVENTS.toLocaleString('en-US')}-event file log in ${LOG_DIR}`);
  const store = new FileStore({ dir: LOG_DIR, durability: 'none' });
  const system = makeSystem(store);
  let t = 1;
  while ((system.lastCommit?.lastSeq ?? 0) < EVENTS) {
    await system.tick(inputsOf(t, COUNTERS, PER_TICK), { at: START + t * 1000 });
    if (t % 1000 === 0)
      recorder.progress(`… ${(system.lastCommit?.lastSeq ?? 0).toLocaleString('en-US')} events`);
    t++;
  }
  await system.close();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(LOG_DIR, 'complete'), '');
}

/** Starts `causeway-inspector open` on the log; resolves with its process and printed URL. */
function startCli(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'packages', 'inspector', 'src', 'cli', 'main.ts'),
      'open',
      `file:${LOG_DIR}`,
      '--system',
      join(here, 'inspector-app.ts'),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /open (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`causeway-inspector exited with ${code}`)));
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function offlineCases(recorder: Recorder): Promise<void> {
  await ensureLog(recorder);
  const openedAt = process.hrtime.bigint();
  const { child, url } = await startCli();
  try {
    const wsUrl = `ws://${new URL(url).host}/ws${new URL(url).search}`;
    const measure = (await firstPaintHook.load?.()) ?? null;
    if (measure !== null) {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) samples.push(await measure(url));
      recorder.record('first-paint', 'causeway', 'ms', samples);
    } else recorder.progress('first-paint: not measured here (needs the UI build and its hook)');
    const client = await connect(wsUrl);
    let summary = await client.call('summary', {});
    while (summary.indexedSeq < summary.events) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      summary = await client.call('summary', {});
      recorder.progress(
        `indexing ${summary.indexedSeq.toLocaleString('en-US')} / ${summary.events.toLocaleString('en-US')}`,
      );
    }
    const indexedMs = Number(process.hrtime.bigint() - openedAt) / 1e6;
    recorder.progress(`indexed the whole log ${(indexedMs / 1000).toFixed(1)} s after open`);
    const last = summary.events;
    const random = seededFloats(7);

    const stateAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      const seq = 1 + Math.floor(random.float() * last);
      stateAt.push(await timed(() => client.call('stateAt', { seq })));
    }
    recorder.record('state-at-seq', 'causeway', 'ms', stateAt);

    const pathHistory: number[] = [];
    for (let i = 0; i < 5; i++) {
      const path = ['counters', counterId(1 + Math.floor(random.float() * COUNTERS)), 'value'];
      pathHistory.push(
        await timed(async () => {
          let cursor: number | null = 1;
          while (cursor !== null)
            cursor = (await client.call('pathHistory', { path, cursor, limit: 1000 })).next;
        }),
      );
    }
    recorder.record('path-history', 'causeway', 'ms', pathHistory);

    const jump: number[] = [];
    for (let i = 0; i < 5; i++) {
      jump.push(
        await timed(() =>
          Promise.all([
            client.call('events', { cursor: Math.max(1, last - 99), limit: 100 }),
            client.call('stateAt', { seq: last, depth: 2 }),
          ]),
        ),
      );
    }
    recorder.record('jump-to-end', 'causeway', 'ms', jump);

    const memory: number[] = [];
    for (let i = 0; i < 5; i++) {
      await client.call('stateAt', { seq: 1 + Math.floor(random.float() * last) });
      memory.push(rssMb(child.pid ?? 0));
    }
    recorder.record('agent-memory', 'causeway', 'MB', memory);
    client.close();
  } finally {
    child.kill('SIGTERM');
  }
}

async function runTicks(system: EventSystem<BenchCounters>, from: number, count: number) {
  for (let t = from; t < from + count; t++)
    await system.tick(inputsOf(t, COUNTERS, PER_TICK), { at: START + t * 1000 });
}

async function loopCases(recorder: Recorder): Promise<void> {
  const TICKS = 200;
  const ROUNDS = 8;
  // Detached: the loop alone. Attached: the same loop with an inspector and a client following
  // live; its samples wait for the agent to have indexed every event, so the agent's work is
  // inside the measured time. Both on memory stores, one sample of each per round, so that the
  // load of the shared machine weighs on both alike.
  const detached = makeSystem(new MemoryStore());
  const attached = makeSystem(new MemoryStore());
  await runTicks(detached, 1, 1);
  await runTicks(attached, 1, 1);
  const inspector = await attachInspector(attached, { print: () => undefined });
  const follower = await connect(inspector.wsUrl);
  let pushes = 0;
  follower.on('tail', () => pushes++);
  await follower.call('follow', {});
  let next = 2;
  const detachedRates: number[] = [];
  const attachedRates: number[] = [];
  const sample = async (system: EventSystem<BenchCounters>, from: number, settle: boolean) => {
    const before = system.lastCommit?.lastSeq ?? 0;
    const start = process.hrtime.bigint();
    await runTicks(system, from, TICKS);
    if (settle) await inspector.service.history?.settled();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return ((system.lastCommit?.lastSeq ?? 0) - before) / seconds;
  };
  for (let round = 0; round < ROUNDS; round++) {
    const d = await sample(detached, next, false);
    const a = await sample(attached, next, true);
    next += TICKS;
    if (round === 0) continue;
    detachedRates.push(d);
    attachedRates.push(a);
  }
  recorder.progress(`the follower got ${pushes} tail pushes`);
  follower.close();
  await inspector.close();
  await attached.close();
  await detached.close();
  recorder.record('loop-detached', 'causeway', 'events/s', detachedRates);
  recorder.record('loop-attached', 'causeway', 'events/s', attachedRates);
}

/** `npm run bench -- inspector`: the inspector over a 1,000,000-event file log, and its cost. */
export const inspectorSuite: Suite = {
  name: 'inspector',
  description: `the inspector over a ${EVENTS.toLocaleString('en-US')}-event file log (offline CLI), and the loop with and without an agent attached`,
  async run(recorder) {
    await loopCases(recorder);
    await offlineCases(recorder);
  },
};

/** A small seeded generator (mulberry32), so every run samples the same seqs and paths. */
function seededFloats(seed: number): { float(): number } {
  let a = seed >>> 0;
  return {
    float(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
