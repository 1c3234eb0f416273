#!/usr/bin/env node
// The installed `tagfs` command: runs the TypeScript CLI with tsx and the source condition.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
// Resolved from here, so the command works from any folder.
const tsx = import.meta.resolve('tsx');
const run = spawnSync(
  process.execPath,
  ['--conditions=@causeway/source', '--import', tsx, cli, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exitCode = run.status ?? 1;
