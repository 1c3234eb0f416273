import { open, readdir, stat, unlink } from 'node:fs/promises';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import { resolve } from 'node:path';
import { WriterLock } from './lock.ts';
import { removeIndexFile } from './index-file.ts';
import { MANIFEST_NAME, writeManifest } from './manifest.ts';
import { fileFailure, pathOf } from './fs-errors.ts';
import { scanLog, segmentName, segmentPath } from './segments.ts';
import type { LogScan } from './segments.ts';

/** Damage in a file store, as `check` reports it. */
export interface StoreDamageReport {
  /** The segment file, e.g. `00000003.seg`. */
  readonly segment: string;
  /** Byte offset of the damaged record in that file. */
  readonly offset: number;
  readonly reason: string;
  /** `torn`: a write cut short at the tail, cut by the next writer's open. `corrupt`: needs `repair`. */
  readonly kind: 'torn' | 'corrupt';
}

/** What {@link checkFileStore} found. */
export interface CheckReport {
  readonly dir: string;
  readonly segments: number;
  readonly bytes: number;
  readonly records: number;
  readonly ticks: number;
  readonly events: number;
  readonly inputs: number;
  readonly snapshots: number;
  /** Events after the last commit record (never committed; cut on open). */
  readonly uncommittedEvents: number;
  readonly damage: StoreDamageReport | null;
  /** Where `repair` would cut the log: the end of the last good record before any damage. */
  readonly cut: { readonly segment: string; readonly offset: number };
  /** Bytes after the cut (what `repair` would remove), not counting `reservedBytes`. */
  readonly bytesAfterCut: number;
  /**
   * Zero bytes a writer reserved after the last record (it is running, or crashed): space, not
   * damage. The next writer's open (or `repair`) cuts them.
   */
  readonly reservedBytes: number;
  /** True when nothing needs cutting. */
  readonly clean: boolean;
}

/** Options of {@link checkFileStore}. */
export interface CheckOptions {
  /** Called now and then with the records and bytes read so far. */
  readonly onProgress?: (records: number, bytes: number) => void;
}

function report(dir: string, scan: LogScan): CheckReport {
  let bytes = 0;
  let bytesAfterCut = 0;
  for (const [n, size] of scan.sizes) {
    bytes += size;
    if (n > scan.cut.segment) bytesAfterCut += size;
    else if (n === scan.cut.segment) bytesAfterCut += Math.max(0, size - scan.cut.offset);
  }
  const reservedBytes = scan.fill?.bytes ?? 0;
  bytesAfterCut = Math.max(0, bytesAfterCut - reservedBytes);
  const index = scan.index;
  const damage =
    scan.damage === null ? null : { ...scan.damage, segment: segmentName(scan.damage.segment) };
  return {
    dir,
    segments: scan.segments.length,
    bytes,
    records: index.records,
    ticks: index.commits.length,
    events: index.lastSeq,
    inputs: index.lastInput,
    snapshots: index.snapshots.length,
    uncommittedEvents: scan.uncommittedEvents,
    damage,
    cut: { segment: segmentName(scan.cut.segment), offset: scan.cut.offset },
    bytesAfterCut,
    reservedBytes,
    clean: damage === null && bytesAfterCut === 0,
  };
}

/**
 * Reads every record of the store in `dir`, checksums and decodes it (events included) and
 * reports counts and the first damage with its segment and offset. Changes nothing and takes
 * no lock, so it may run beside a writer (whose in-flight write may then show as a torn tail).
 */
export async function checkFileStore(
  dir: string,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const full = resolve(dir);
  await ensureFolder(full);
  const scan = await scanLog(full, {
    verifyEvents: true,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }).catch((error: unknown) => {
    const path = pathOf(error, full);
    throw path === undefined
      ? error
      : fileFailure(error, `file:${dir}`, path, 'check the log', 'read');
  });
  return report(full, scan);
}

/** What {@link repairFileStore} did (or, without `apply`, would do). */
export interface RepairReport {
  readonly before: CheckReport;
  /** True when the log was cut. */
  readonly applied: boolean;
  /** Segment files removed (or to remove) entirely. */
  readonly removedSegments: readonly string[];
}

/**
 * Cuts the store in `dir` back to the end of its last good record before the first damage
 * (dropping events whose commit record is lost), and removes the segments after it. Only with
 * `apply: true`; otherwise it reports what it would cut. Takes the writer lock meanwhile.
 * @throws StoreLockedError when a writer has the store open
 * @throws CausewayError `CW_INVALID_ARGUMENT` for an `apply` that is not a boolean (nothing is
 * changed)
 */
export async function repairFileStore(
  dir: string,
  options: CheckOptions & { readonly apply?: boolean } = {},
): Promise<RepairReport> {
  const apply: unknown = options.apply ?? false;
  // A truthy non-boolean ('yes') would be read as a dry run by a caller who meant to repair.
  if (typeof apply !== 'boolean') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `repairFileStore's apply option must be true (cut the log) or false (only report), got ${JSON.stringify(apply) ?? String(apply)}.`,
      { apply },
    );
  }
  const full = resolve(dir);
  await ensureFolder(full);
  const lock = await WriterLock.acquire(full, `file:${dir}`);
  try {
    const scan = await scanLog(full, {
      verifyEvents: true,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }).catch((error: unknown) => {
      const path = pathOf(error, full);
      throw path === undefined ? error : fileFailure(error, `file:${dir}`, path, 'check the log');
    });
    const before = report(full, scan);
    const removed = scan.segments.filter((n) => n > scan.cut.segment);
    if (!apply || before.clean)
      return { before, applied: false, removedSegments: removed.map(segmentName) };
    // The manifest stops naming the removed segments first, and later segments go first, so an
    // interrupted repair never leaves a gap before good data nor a manifest naming lost files.
    await removeIndexFile(full);
    await writeManifest(full, {
      segments: scan.segments.filter((n) => n <= scan.cut.segment).length,
    });
    for (const n of [...removed].reverse()) await unlink(segmentPath(full, n));
    if (scan.segments.includes(scan.cut.segment)) {
      const handle = await open(segmentPath(full, scan.cut.segment), 'r+');
      try {
        await handle.truncate(scan.cut.offset);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    return { before, applied: true, removedSegments: removed.map(segmentName) };
  } finally {
    await lock.release();
  }
}

async function ensureFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      info === null
        ? `There is no store folder at ${dir}; give the folder a file store writes to.`
        : `${dir} is a file, not a folder; give the folder a file store writes to.`,
      { dir },
    );
  }
  // A file store writes its first segment and its manifest when it is first opened: a folder
  // with neither is some other folder (a mistyped path), not an empty store to call clean.
  const names = await readdir(dir).catch(() => []);
  if (!names.some((name) => name === MANIFEST_NAME || /^\d{8}\.seg$/.test(name))) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The folder ${dir} holds no file store (no ${MANIFEST_NAME}, no segment files such as 00000001.seg); give the folder a file store writes to.`,
      { dir },
    );
  }
}
