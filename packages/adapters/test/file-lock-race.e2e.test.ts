import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { ErrorCodes } from '@causeway/runtime';
import { removeDir, tempDir } from './file-fixtures.ts';

const childScript = fileURLToPath(new URL('./file-lock-race-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const CONTENDERS = 5;
const ROUNDS = Number(process.env.ROUNDS ?? 30);

type Report = { ready?: number; locked?: string; holding?: number; tick?: number; acked?: number };

/** A contender process and the reports it has printed, waited on one at a time. */
class Contender {
  readonly proc: ChildProcess;
  private readonly queue: Report[] = [];
  private waiting: ((report: Report) => void) | null = null;
  readonly exited: Promise<void>;
  acked = 0;
  alive = true;

  constructor(dir: string) {
    this.proc = spawn(
      process.execPath,
      ['--conditions=@causeway/source', '--import', 'tsx', childScript, dir],
      {
        cwd: root,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.exited = new Promise((resolve) =>
      this.proc.on('exit', () => {
        this.alive = false;
        resolve();
      }),
    );
    const lines = createInterface({ input: this.proc.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const report = JSON.parse(line) as Report;
      if (report.acked !== undefined) {
        this.acked = report.acked;
        return;
      }
      if (this.waiting !== null) {
        const wake = this.waiting;
        this.waiting = null;
        wake(report);
      } else this.queue.push(report);
    });
  }

  next(): Promise<Report> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  go(): void {
    this.proc.stdin?.write('go\n');
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

async function started(dir: string): Promise<Contender> {
  const contender = new Contender(dir);
  expect((await contender.next()).ready).toBe(contender.proc.pid);
  return contender;
}

async function ackedAtLeast(contender: Contender, ticks: number): Promise<void> {
  while (contender.acked < ticks) {
    if (!contender.alive) throw new Error(`the writer ${contender.proc.pid} exited`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('file store writer lock under contention', () => {
  let dir: string;
  const contenders: Contender[] = [];

  beforeAll(async () => {
    dir = await tempDir();
  });

  afterAll(async () => {
    for (const c of contenders.splice(0)) await c.kill();
    await removeDir(dir);
  });

  it(`gives the lock to exactly one of ${CONTENDERS} processes racing to open after the writer is SIGKILLed, losing no acknowledged tick, ${ROUNDS} rounds`, async () => {
    // Arrange: a first writer that acknowledged ticks, and contenders waiting to race.
    const first = await started(dir);
    first.go();
    expect((await first.next()).tick).toBe(0);
    await ackedAtLeast(first, 3);
    let writer = first;
    for (let i = 0; i < CONTENDERS; i++) contenders.push(await started(dir));
    const winners: number[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      // Act: kill the writer mid-stream, then let every contender open at once.
      await writer.kill();
      const acknowledged = writer.acked;
      for (const c of contenders) c.go();
      const reports = await Promise.all(contenders.map((c) => c.next()));

      // Assert: one holder; the others refused as locked; the holder sees every acked tick.
      const holders = reports.filter((r) => r.holding !== undefined);
      const refused = reports.filter((r) => r.locked !== undefined);
      expect(holders, `round ${round}: ${JSON.stringify(reports)}`).toHaveLength(1);
      expect(refused.map((r) => r.locked)).toEqual(
        Array.from({ length: CONTENDERS - 1 }, () => ErrorCodes.StoreLocked),
      );
      const holder = holders[0] as Report;
      expect(holder.tick, `round ${round}`).toBeGreaterThanOrEqual(acknowledged);
      winners.push(holder.holding as number);

      const index = contenders.findIndex((c) => c.proc.pid === holder.holding);
      writer = contenders[index] as Contender;
      await ackedAtLeast(writer, (holder.tick as number) + 2);
      contenders[index] = await started(dir);
    }
    await writer.kill();

    // The log holds every tick any writer acknowledged, numbered without a gap.
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const last = await reader.lastCommit();
    expect(last?.tick).toBeGreaterThanOrEqual(writer.acked);
    let gaps = 0;
    let count = 0;
    for (let page = await reader.readCommits(0); page.length > 0;) {
      for (const c of page) if (c.tick !== ++count) gaps++;
      page = await reader.readCommits(count);
    }
    expect(gaps).toBe(0);
    expect(count).toBe(last?.tick);
    await reader.close();
    expect(winners).toHaveLength(ROUNDS);
  });
});
