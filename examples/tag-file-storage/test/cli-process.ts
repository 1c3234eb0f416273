import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's source and the tsx loader, resolved so the CLI runs from any folder. */
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** What a finished tagfs run printed and its exit code. */
export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts the real tagfs CLI in `cwd` (its data folder is `cwd/.tagfs`). With `as`, it runs as
 * that user through `setpriv`, which also drops root's groups and capabilities (a plain
 * `spawn` with `uid` kept root's power to read any folder here).
 */
export function startTagfs(
  cwd: string,
  args: readonly string[],
  as: { uid: number; gid: number } | null = null,
): ChildProcess {
  const node = [process.execPath, '--conditions=@causeway/source', '--import', tsx, cli, ...args];
  const argv =
    as === null
      ? node
      : ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', ...node];
  return spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, TAGFS_USER: 'ada' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a started run to end. */
export function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs tagfs to the end. */
export function tagfs(cwd: string, ...args: string[]): Promise<Run> {
  return finished(startTagfs(cwd, args));
}

/** Resolves with everything printed on `stream` once `pattern` appears in it. */
export function waitForOutput(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  let seen = '';
  return new Promise((resolve) => {
    const listen = (d: Buffer): void => {
      seen += d.toString();
      const match = pattern.exec(seen);
      if (match !== null) {
        stream.off('data', listen);
        resolve(match);
      }
    };
    stream.on('data', listen);
  });
}
