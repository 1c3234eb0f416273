// Runs benchmark suites: `npm run bench -- <suite> [<suite>…] [--only <case>,<case>…]`, or
// every suite with no argument. Each suite prints one line per case and system and writes
// bench/results/<suite>.json. With `--only`, only the named cases run, and their results replace
// those of the same name in the existing file; the other cases stay as they were, each with the
// commit it measured. With more than one suite, each runs in a process of its own (see below).
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, machine, median, type CaseResult, type Suite } from './harness.ts';
import { loadSuite, suiteNames } from './suites/index.ts';

const here = dirname(fileURLToPath(import.meta.url));

function parseArguments(args: readonly string[]): { names: string[]; only: Set<string> | null } {
  const names: string[] = [];
  let only: Set<string> | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') continue;
    if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? args[++i] : arg.slice('--only='.length);
      if (list === undefined || list.trim() === '') {
        console.error(
          '--only needs a comma-separated list of case names, e.g. --only fsync,durable-tick-1.',
        );
        process.exit(2);
      }
      only ??= new Set();
      for (const name of list.split(',')) if (name.trim() !== '') only.add(name.trim());
      continue;
    }
    if (arg.startsWith('--')) {
      console.error(`Unknown option ${arg}. Usage: npm run bench -- [<suite>…] [--only <case>,…]`);
      process.exit(2);
    }
    names.push(arg);
  }
  return { names, only };
}

const { names: wanted, only } = parseArguments(process.argv.slice(2));
const unknown = wanted.filter((w) => !suiteNames.includes(w));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark suite: ${unknown.join(', ')}. Known suites: ${suiteNames.join(', ')}.`,
  );
  process.exit(2);
}
const chosenNames = wanted.length === 0 ? suiteNames : suiteNames.filter((n) => wanted.includes(n));

/**
 * The code a run measured: the commit checked out, and whether the work tree differed from it
 * outside `bench/results/` (a figure from a dirty tree stands for no commit). Read once, before any suite runs.
 */
function measuredCode(): { commit: string; dirty: boolean } {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: here, encoding: 'utf8' }).trim();
  try {
    // Results files are not code: a run that merges into one another run left uncommitted
    // (`--only`) still measures the commit.
    const changed = git('status', '--porcelain', '--', ':/', ':(top,exclude)bench/results');
    return { commit: git('rev-parse', 'HEAD'), dirty: changed.length > 0 };
  } catch {
    return { commit: 'unknown (not a git checkout)', dirty: true };
  }
}
// A suite run by a parent run (below) takes the parent's reading of the code, and says which
// cases it recorded in the parent's file.
const fromParent = process.env.CAUSEWAY_BENCH_CODE;
const recordedFile = process.env.CAUSEWAY_BENCH_RECORDED;
const code =
  fromParent === undefined
    ? measuredCode()
    : (JSON.parse(fromParent) as ReturnType<typeof measuredCode>);
if (fromParent === undefined) {
  console.log(`# measuring commit ${code.commit}${code.dirty ? ' with uncommitted changes' : ''}`);
  if (only !== null) console.log(`# only the cases ${[...only].join(', ')}`);
}

// Several suites: each runs in a fresh process, one after the other. In one process a suite ran
// after what the earlier ones left (their heap, a PGlite instance, pools): at 3075cae, `cqrs`'s
// sequential commands on the memory store ran at 10,407 a second after `scale` in the full run
// and at 17,029 alone; a figure stood for the suites before it as much as for its code.
if (chosenNames.length > 1) {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-'));
  const recordedBy = join(dir, 'recorded');
  writeFileSync(recordedBy, '');
  try {
    for (const name of chosenNames) {
      execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          name,
          ...(only === null ? [] : ['--only', [...only].join(',')]),
        ],
        {
          stdio: 'inherit',
          env: {
            ...process.env,
            CAUSEWAY_BENCH_CODE: JSON.stringify(code),
            CAUSEWAY_BENCH_RECORDED: recordedBy,
          },
        },
      );
    }
    const recordedNames = new Set(readFileSync(recordedBy, 'utf8').split('\n').filter(Boolean));
    const missedNames = only === null ? [] : [...only].filter((n) => !recordedNames.has(n));
    if (missedNames.length > 0) {
      console.error(
        `No case named ${missedNames.join(', ')} was measured by ${wanted.join(', ') || 'any suite'}.`,
      );
      process.exitCode = 2;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit();
}

/**
 * The cases of an earlier results file that this run did not measure, each stamped with the
 * commit it measured (older files record it once, for the whole file).
 */
function earlierCases(file: string, measured: ReadonlySet<string>): CaseResult[] {
  if (!existsSync(file)) return [];
  const earlier = JSON.parse(readFileSync(file, 'utf8')) as {
    commit?: string;
    dirty?: boolean;
    cases?: CaseResult[];
  };
  return (earlier.cases ?? [])
    .filter((c) => !measured.has(c.name))
    .map((c) => ({
      ...c,
      commit: c.commit ?? earlier.commit ?? 'unknown',
      dirty: c.dirty ?? earlier.dirty ?? true,
    }));
}

/** The chosen cases and the peers measured beside them. */
function withPeers(names: ReadonlySet<string>, suite: Suite): Set<string> {
  const out = new Set(names);
  for (const name of names) for (const peer of suite.peers?.[name] ?? []) out.add(peer);
  return out;
}

// A suite with groups of cases to isolate (`Suite.isolated`) runs each group in a process of
// its own, one after the other, and then the cases in no group in one more: each merges what
// it measured into the suite's file, as `--only` does. In one process a case ran after what the
// earlier ones left: at `9f70e88`, scale's appliers at 100,000 entities ran 35-45 % slower
// after the tick cases (their 100,000-entity worlds, their peers' copies of 100,000-key tables)
// than alone, in alternating scratch runs.
// One suite from here on: only its module is loaded (see suites/index.ts).
const chosen: Suite[] = await Promise.all(chosenNames.map(loadSuite));
const group = process.env.CAUSEWAY_BENCH_GROUP;
const single = chosen[0];
if (chosen.length === 1 && single?.isolated !== undefined && group === undefined) {
  const file = join(here, 'results', `${single.name}.json`);
  // A whole run replaces the file; its processes merge into it one after the other.
  if (only === null) rmSync(file, { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-'));
  const recordedBy = recordedFile ?? join(dir, 'recorded');
  if (recordedFile === undefined) writeFileSync(recordedBy, '');
  const grouped = single.isolated.flat();
  const runs: { names: readonly string[]; except: readonly string[] }[] = [
    ...single.isolated.map((names) => ({ names, except: [] })),
    { names: [], except: grouped },
  ];
  try {
    for (const run of runs) {
      // The last run takes the cases in no group: those `--only` names (or, without it, all).
      const names =
        run.names.length > 0
          ? run.names.filter((n) => only === null || only.has(n))
          : only === null
            ? []
            : [...only].filter((n) => !grouped.includes(n));
      if (run.names.length > 0 && names.length === 0) continue;
      if (run.names.length === 0 && only !== null && names.length === 0) continue;
      execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          single.name,
          ...(names.length === 0 ? [] : ['--only', names.join(',')]),
        ],
        {
          stdio: 'inherit',
          env: {
            ...process.env,
            CAUSEWAY_BENCH_CODE: JSON.stringify(code),
            CAUSEWAY_BENCH_RECORDED: recordedBy,
            CAUSEWAY_BENCH_GROUP: run.except.join(','),
          },
        },
      );
    }
    const recordedNames = new Set(readFileSync(recordedBy, 'utf8').split('\n').filter(Boolean));
    const missedNames = only === null ? [] : [...only].filter((n) => !recordedNames.has(n));
    if (missedNames.length > 0 && recordedFile === undefined) {
      console.error(`No case named ${missedNames.join(', ')} was measured by ${single.name}.`);
      process.exitCode = 2;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit();
}
// In a process of a group's (above): the cases the last one leaves to the others.
const except = new Set(group === undefined || group === '' ? [] : group.split(','));

const recorded = new Set<string>();
for (const suite of chosen) {
  console.log(
    group === undefined
      ? `# ${suite.name}: ${suite.description}`
      : `# ${suite.name}, in a process of its own: ${only === null ? 'the cases in no group' : [...only].join(', ')}`,
  );
  const cases: CaseResult[] = [];
  const wants = only === null ? null : withPeers(only, suite);
  const wanted = (name: string): boolean =>
    (wants === null || wants.has(name)) && !except.has(name);
  await suite.run({
    record(name, system, unit, samples) {
      if (!wanted(name)) return;
      if (samples.length < 5)
        throw new Error(
          `Benchmark ${suite.name}/${name}/${system} has ${samples.length} samples; record at least 5.`,
        );
      const result: CaseResult = {
        name,
        system,
        unit,
        median: median(samples),
        samples: [...samples],
        ...code,
      };
      cases.push(result);
      recorded.add(name);
      if (recordedFile !== undefined) appendFileSync(recordedFile, `${name}\n`);
      const spread = `${formatNumber(Math.min(...samples))}…${formatNumber(Math.max(...samples))}`;
      console.log(
        `${name.padEnd(22)} ${system.padEnd(20)} ${formatNumber(result.median).padStart(14)} ${unit.padEnd(10)} (median of ${samples.length}, range ${spread})`,
      );
    },
    progress(message) {
      process.stderr.write(`  … ${message}\n`);
    },
    wants(name) {
      return wanted(name);
    },
  });
  const file = join(here, 'results', `${suite.name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const all =
    only === null && group === undefined
      ? cases
      : [...earlierCases(file, new Set(cases.map((c) => c.name))), ...cases];
  writeFileSync(
    file,
    JSON.stringify({ suite: suite.name, ...code, ...machine(), cases: all }, null, 2) + '\n',
  );
  console.log(`→ ${file}\n`);
}
const missed = only === null ? [] : [...only].filter((name) => !recorded.has(name));
if (missed.length > 0 && recordedFile === undefined) {
  console.error(
    `No case named ${missed.join(', ')} was measured by ${wanted.join(', ') || 'any suite'}.`,
  );
  process.exit(2);
}
