// Runs benchmark suites: `npm run bench -- <suite> [<suite>…]`, or every suite with no argument.
// Each suite prints one line per case and system and writes bench/results/<suite>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, machine, median, type CaseResult, type Suite } from './harness.ts';
import { suites } from './suites/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => a !== '--');
const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark suite: ${unknown.join(', ')}. Known suites: ${suites.map((s) => s.name).join(', ')}.`,
  );
  process.exit(2);
}
const chosen: Suite[] =
  wanted.length === 0 ? suites : suites.filter((s) => wanted.includes(s.name));

/**
 * The code a run measured: the commit checked out, and whether the work tree differed from it
 * (a figure from a dirty tree stands for no commit). Read once, before any suite runs.
 */
function measuredCode(): { commit: string; dirty: boolean } {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: here, encoding: 'utf8' }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: 'unknown (not a git checkout)', dirty: true };
  }
}
const code = measuredCode();
console.log(`# measuring commit ${code.commit}${code.dirty ? ' with uncommitted changes' : ''}`);

for (const suite of chosen) {
  console.log(`# ${suite.name}: ${suite.description}`);
  const cases: CaseResult[] = [];
  await suite.run({
    record(name, system, unit, samples) {
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
      };
      cases.push(result);
      const spread = `${formatNumber(Math.min(...samples))}…${formatNumber(Math.max(...samples))}`;
      console.log(
        `${name.padEnd(22)} ${system.padEnd(20)} ${formatNumber(result.median).padStart(14)} ${unit.padEnd(10)} (median of ${samples.length}, range ${spread})`,
      );
    },
    progress(message) {
      process.stderr.write(`  … ${message}\n`);
    },
  });
  const file = join(here, 'results', `${suite.name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ suite: suite.name, ...code, ...machine(), cases }, null, 2) + '\n',
  );
  console.log(`→ ${file}\n`);
}
