import { cpus } from 'node:os';

/** One measured case of one system, as written to `bench/results/<suite>.json`. */
export interface CaseResult {
  readonly name: string;
  readonly system: string;
  readonly unit: string;
  readonly median: number;
  readonly samples: readonly number[];
  /** The commit this case measured (a file merged from runs of chosen cases holds several). */
  readonly commit?: string;
  /** Whether the work tree differed from `commit` when this case ran. */
  readonly dirty?: boolean;
}

/** The file every suite writes; other tools read this shape. */
export interface SuiteResult {
  readonly suite: string;
  readonly node: string;
  readonly cpu: string;
  readonly cases: readonly CaseResult[];
}

/** What a suite gets to report with. */
export interface Recorder {
  /**
   * Records one case: the samples (at least 5) in `unit`. Prints one line at once.
   * For rates (`events/s`) higher is better; for times (`ms`) lower is better.
   */
  record(name: string, system: string, unit: string, samples: readonly number[]): void;
  /** Prints a progress note on stderr (not part of the results). */
  progress(message: string): void;
  /**
   * Whether the run wants case `name` (`--only` names the cases to run; without it, every
   * case). A suite skips the work of cases not wanted; recording one is ignored.
   */
  wants(name: string): boolean;
}

/** A benchmark suite, run as `npm run bench -- <name>`. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  /**
   * Cases measured beside a case as its peers in the same run (by case name): choosing the
   * case with `--only` runs and records them too, so a ratio never mixes two runs.
   */
  readonly peers?: Readonly<Record<string, readonly string[]>>;
  /**
   * Groups of cases (with their peers) that each run in a process of their own, so that a case
   * is not measured after what the cases before it left in the process (its heap, V8's
   * allocation decisions). The cases in no group run together in one more process.
   */
  readonly isolated?: readonly (readonly string[])[];
  run(recorder: Recorder): Promise<void>;
}

/** The median of samples (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Describes the machine for the results file. */
export function machine(): { node: string; cpu: string } {
  const list = cpus();
  return { node: process.version, cpu: `${list[0]?.model ?? 'unknown cpu'} x${list.length}` };
}

/**
 * Measures a rate: runs `work` (which performs `count` operations) `samples` times after
 * `warmup` unrecorded runs, and returns operations per second for each sample.
 */
export async function measureRate(
  work: () => void | Promise<void>,
  count: number,
  options: { samples?: number; warmup?: number; before?: () => void | Promise<void> } = {},
): Promise<number[]> {
  const samples = options.samples ?? 7;
  const warmup = options.warmup ?? 2;
  const rates: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    await options.before?.();
    const start = process.hrtime.bigint();
    await work();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (i >= warmup) rates.push(count / seconds);
  }
  return rates;
}

/** Formats a number for a results line: 1234567 → "1,234,567". */
export function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}
