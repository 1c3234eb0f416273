#!/usr/bin/env node
/**
 * The `causeway` command line: `causeway store check <dir>`, `causeway store repair <dir> --yes`
 * and `causeway store reject-input <url> <n> --reason <text>`.
 * Installed as the `causeway` bin of `@causeway/adapters`; in this repository,
 * `npm run causeway -- store check ./data` runs it from the sources.
 *
 * @packageDocumentation
 */
import { isCausewayError, journalInputRejection } from '@causeway/runtime';
import { openStore } from '../index.ts';
import { redactUrl } from '../store-url.ts';
import { checkFileStore, repairFileStore } from '../file/index.ts';
import type { CheckReport } from '../file/index.ts';

const USAGE = `Usage:
  causeway store check <dir>          check a file store; exit 0 when clean, 1 when damaged
  causeway store repair <dir> [--yes] cut a damaged file store back to its last good commit
                                      (without --yes: show what would be cut, change nothing)
  causeway store reject-input <url> <n> --reason <text>
                                      journal an operator's rejection of input n, which has
                                      not run (a poison input); the app must be stopped`;

function progress(records: number, bytes: number): void {
  process.stderr.write(
    `  … ${records.toLocaleString('en-US')} records, ${(bytes / 1048576).toFixed(1)} MiB read\n`,
  );
}

function describe(report: CheckReport): string {
  const lines = [
    `Store ${report.dir}`,
    `  segments:  ${report.segments} (${report.bytes.toLocaleString('en-US')} bytes)`,
    `  records:   ${report.records.toLocaleString('en-US')}`,
    `  ticks:     ${report.ticks.toLocaleString('en-US')}`,
    `  events:    ${report.events.toLocaleString('en-US')}`,
    `  inputs:    ${report.inputs.toLocaleString('en-US')}`,
    `  snapshots: ${report.snapshots.toLocaleString('en-US')}`,
  ];
  if (report.damage !== null) {
    const d = report.damage;
    lines.push(
      d.kind === 'torn'
        ? `Torn tail in ${d.segment} at byte ${d.offset}: ${d.reason} (a write cut short; the next writer cuts it on open).`
        : `DAMAGED: ${d.segment} at byte ${d.offset}: ${d.reason}.`,
    );
  }
  if (report.reservedBytes > 0) {
    lines.push(
      `${report.reservedBytes.toLocaleString('en-US')} zero bytes reserved after the last record (a writer is running or stopped without closing; not damage).`,
    );
  }
  if (report.uncommittedEvents > 0) {
    lines.push(
      `${report.uncommittedEvents} events after the last commit record were never committed.`,
    );
  }
  if (!report.clean) {
    lines.push(
      `Repair would cut ${report.bytesAfterCut.toLocaleString('en-US')} bytes from ${report.cut.segment} byte ${report.cut.offset} on.`,
    );
  } else {
    lines.push('Clean.');
  }
  return lines.join('\n');
}

/** Prints what was wrong with the arguments, then the usage; returns the exit code 2. */
function usageError(what: string): number {
  process.stderr.write(`${what}\n\n${USAGE}\n`);
  return 2;
}

// Journals the rejection through the store's own writer, so the app's next open runs it.
async function rejectInput(url: string, rest: readonly string[]): Promise<number> {
  const [n, flag, reason, ...extra] = rest;
  if (n === undefined || !/^[1-9][0-9]*$/.test(n) || !Number.isSafeInteger(Number(n)))
    return usageError(
      `reject-input needs the input number (1 or more), got ${JSON.stringify(n ?? '')}.`,
    );
  if (flag !== '--reason' || reason === undefined || reason.trim() === '')
    return usageError('reject-input needs --reason and a text saying why the input is rejected.');
  if (extra.length > 0) return usageError(`Unexpected arguments: ${extra.join(' ')}.`);
  const ino = Number(n);
  const reader = await openStore(url, { readOnly: true });
  const header = await reader.open();
  await reader.close();
  if (header === null) {
    process.stderr.write(`The store ${redactUrl(url)} holds no log.\n`);
    return 1;
  }
  const store = await openStore(url);
  try {
    await store.open(header);
    const record = await journalInputRejection(store, ino, reason);
    process.stdout.write(
      `Journaled input ${record.ino}: input ${ino} is rejected (${reason}). The app runs it as rejected on its next tick.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function main(args: readonly string[]): Promise<number> {
  if (args.some((a) => a === '--help' || a === '-h') || (args.length === 1 && args[0] === 'help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [group, command, ...operands] = args;
  if (group !== 'store')
    return usageError(
      group === undefined ? 'No command given.' : `Unknown command ${JSON.stringify(group)}.`,
    );
  if (command === 'reject-input') {
    const [url, ...rest] = operands;
    if (url === undefined) return usageError('reject-input needs the store URL.');
    return rejectInput(url, rest);
  }
  if (command !== 'check' && command !== 'repair')
    return usageError(
      command === undefined
        ? 'No store command given.'
        : `Unknown store command ${JSON.stringify(command)}.`,
    );
  const options = operands.filter((a) => a.startsWith('-'));
  const unknown = options.filter((o) => command !== 'repair' || o !== '--yes');
  if (unknown.length > 0) return usageError(`Unknown option for ${command}: ${unknown.join(' ')}.`);
  const dirs = operands.filter((a) => !a.startsWith('-'));
  const dir = dirs[0];
  if (dir === undefined) return usageError(`${command} needs the store's folder.`);
  if (dirs.length > 1)
    return usageError(`${command} takes one folder, got ${dirs.length}: ${dirs.join(' ')}.`);
  if (command === 'check') {
    const report = await checkFileStore(dir, { onProgress: progress });
    process.stdout.write(`${describe(report)}\n`);
    return report.clean ? 0 : 1;
  }
  const apply = options.includes('--yes');
  const result = await repairFileStore(dir, { apply, onProgress: progress });
  process.stdout.write(`${describe(result.before)}\n`);
  if (result.before.clean) return 0;
  const removed =
    result.removedSegments.length > 0 ? ` and remove ${result.removedSegments.join(', ')}` : '';
  if (!apply) {
    process.stdout.write(
      `Nothing changed. Run again with --yes to cut ${result.before.cut.segment} at byte ${result.before.cut.offset}${removed}.\n`,
    );
    return 1;
  }
  const removedDone =
    result.removedSegments.length > 0 ? `; removed ${result.removedSegments.join(', ')}` : '';
  process.stdout.write(
    `Repaired: cut ${result.before.cut.segment} at byte ${result.before.cut.offset}${removedDone}.\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${isCausewayError(error) ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
