/**
 * Runs the crash worker (`worker.ts`) in a child process and SIGKILLs it as a kill plan says,
 * collecting every acknowledgement it printed before it died.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** When to kill: a delay after spawning, or right after the n-th acknowledgement line. */
export type KillPlan =
  | { readonly after: 'delay'; readonly ms: number }
  | { readonly after: 'ack'; readonly n: number }
  | { readonly after: 'never' };

/** What one run of the worker did. */
export interface WorkerRun {
  /** True when the parent killed it before it finished. */
  readonly killed: boolean;
  /** True when it printed `done`. */
  readonly done: boolean;
  /** Its `resume` line, or null when it died before opening the store. */
  readonly resumed: { readonly tick: number; readonly lastInput: number } | null;
  /** Input numbers it acknowledged. */
  readonly inputs: readonly number[];
  /** Ticks it acknowledged. */
  readonly ticks: readonly number[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** A run that takes longer than this is stuck (a lock never released, a hang). */
const STUCK_MS = 60_000;

/** Starts the worker on `url`, kills it as `plan` says, and resolves once it has exited. */
export function runWorker(url: string, plan: KillPlan): Promise<WorkerRun> {
  const child = spawn(
    process.execPath,
    ['--conditions=@causeway/source', '--import', 'tsx', worker, url],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let killing = false;
  let done = false;
  let stuck = false;
  let acks = 0;
  let resumed: WorkerRun['resumed'] = null;
  const inputs: number[] = [];
  const ticks: number[] = [];
  let stderr = '';
  const kill = (): void => {
    if (done || killing) return;
    killing = true;
    child.kill('SIGKILL');
  };
  const delay = plan.after === 'delay' ? setTimeout(kill, plan.ms) : undefined;
  const watchdog = setTimeout(() => {
    stuck = true;
    kill();
  }, STUCK_MS);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const [word, a, b] = line.split(' ');
    if (word === 'resume') resumed = { tick: Number(a), lastInput: Number(b) };
    else if (word === 'input') inputs.push(Number(a));
    else if (word === 'tick') ticks.push(Number(a));
    else if (word === 'done') done = true;
    else stderr += `unexpected line on stdout: ${line}\n`;
    if ((word === 'input' || word === 'tick') && plan.after === 'ack' && ++acks === plan.n) kill();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(delay);
      clearTimeout(watchdog);
      if (stuck) {
        reject(
          new Error(
            `The crash worker on ${url} made no end within ${STUCK_MS} ms and was killed. Its stderr:\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ killed: signal === 'SIGKILL', done, resumed, inputs, ticks, code, signal, stderr });
    });
  });
}
