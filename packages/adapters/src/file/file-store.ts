import { fdatasync, ftruncateSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import type { StoreCorruptedError } from '@causeway/runtime/store-kit';
import {
  checkCommit,
  checkHeader,
  checkJournal,
  ownCommit,
  ownEvents,
  ownInputs,
  ownSnapshot,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  DEFAULT_PAGE,
  decodeValue,
  encodeEnvelope,
  encodeValue,
  inputFromTuple,
  inputToTuple,
  commitToTuple,
  normalisePosition,
  normaliseQuery,
  SecondaryIndex,
  storeClosed,
  storeReadOnly,
} from '@causeway/runtime/store-kit';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  JournalOptions,
  LogHeader,
  Page,
  Snapshot,
  StoredEnvelope,
  TickCommit,
  Unwatch,
} from '@causeway/runtime';
import { EnvelopeWriter } from './envelope-writer.ts';
import type { RecordEncoders } from './envelope-writer.ts';
import { damageError, RecordReader } from './reader.ts';
import { TailFollower } from './tail.ts';
import { fileFailure, makeStoreFolder, pathOf } from './fs-errors.ts';
import { readIndexFile, writeIndexFile } from './index-file.ts';
import { WriterLock } from './lock.ts';
import { ManifestError, readManifest, syncFolder, writeManifest } from './manifest.ts';
import { LogIndex } from './log-index.ts';
import { FRAME_HEAD, frameSize, RecordKind, writeFrame } from './records.ts';
import {
  listSegments,
  scanLog,
  segmentExists,
  segmentName,
  segmentPath,
  segmentSizes,
} from './segments.ts';
import type { LogDamage } from './segments.ts';

/**
 * When the file store forces its writes to disk, and so what a crash can lose:
 *
 * - `commit` (default): every `commit()`, `journal()` and `saveSnapshot()` resolves only after
 *   its bytes are written and `fdatasync`ed (one sync per call; calls that queue up while a sync
 *   runs share the next one). Neither a process crash nor a power loss loses anything whose
 *   promise resolved.
 * - `interval`: calls resolve once written to the OS; the store syncs at most every
 *   `intervalMs`. A process crash loses nothing (the OS has the bytes); a power loss or kernel
 *   crash can lose the last `intervalMs` of ticks and inputs.
 * - `none`: the store never syncs (not even on `close()`); the OS writes back when it likes
 *   (Linux: typically within 30 s). A process crash loses nothing; a power loss can lose
 *   whatever the OS had not written back.
 *
 * In every mode a tick is all-or-nothing: recovery cuts events whose commit record is missing.
 */
export type Durability = 'commit' | 'interval' | 'none';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** The store's folder; created by a writer when missing. */
  readonly dir: string;
  /** Open to read only: no lock, no writes, sees the writer's commits as they land. */
  readonly readOnly?: boolean;
  /** See {@link Durability}. Default `commit`. */
  readonly durability?: Durability;
  /** A segment is closed and the next one started once it reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** With durability `interval`: the most time between a write and its sync. Default 100 ms. */
  readonly intervalMs?: number;
  /** How often a reader with watchers looks for new commits. Default 50 ms. */
  readonly pollMs?: number;
}

/** What the writer cut from the log's tail when it opened (a write a crash cut short). */
export interface TailRecovery {
  readonly segment: string;
  readonly offset: number;
  readonly bytesCut: number;
  readonly uncommittedEvents: number;
  readonly reason: string;
}

/**
 * Appends waiting for their turn to be written, all in one write and one sync (group commit):
 * their framed records, the commits and snapshots among them (for the index, in record order),
 * and one promise for the callers that wait for them to be durable.
 */
class Batch {
  readonly writer: EnvelopeWriter;
  // The first `commitCount` entries: the list is reused batch after batch (a stale entry holds
  // a commit the index holds anyway).
  readonly commits: TickCommit[] = [];
  commitCount = 0;
  readonly snapshots: Snapshot[] = [];
  /**
   * How many appends wait for the batch. Inputs journaled to ride on a commit do not: a batch
   * that nobody waits for needs no sync.
   */
  waiters = 0;
  #done: Promise<void> | null = null;
  #resolve: () => void = noop;
  #reject: (error: unknown) => void = noop;

  constructor(encoders: RecordEncoders) {
    this.writer = new EnvelopeWriter(encoders);
  }

  /** Adds a waiter: the promise settles once the batch is stored (see `flush`) or failed. */
  wait(): Promise<void> {
    this.waiters++;
    this.#done ??= new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    return this.#done;
  }

  addCommit(commit: TickCommit): void {
    this.commits[this.commitCount++] = commit;
  }

  addSnapshot(snapshot: Snapshot): void {
    this.snapshots.push(snapshot);
  }

  /** Settles the waiters, then empties the batch for the next appends. */
  settle(failure: CausewayError | null): void {
    if (failure === null) this.#resolve();
    else this.#reject(failure);
    this.writer.clear();
    this.commitCount = 0;
    // Snapshots hold their bytes: let them go.
    if (this.snapshots.length > 0) this.snapshots.length = 0;
    this.waiters = 0;
    this.#done = null;
    this.#resolve = noop;
    this.#reject = noop;
  }
}

function noop(): void {}

const DEFAULT_SEGMENT_BYTES = 64 << 20;
/**
 * How far the writer extends the segment's file ahead of its records (see `reserve`). Readers
 * that follow a running writer read the reserve on each look, so it stays small.
 */
const RESERVE_BYTES = 256 << 10;
/** Appends up to this size are written synchronously (see `writeAll`). */
const SYNC_WRITE_MAX = 64 << 10;

/**
 * A durable event store in a folder of append-only segment files (`00000001.seg`, …) of
 * checksummed msgpack records; see docs/file-store.md for the format and its guarantees.
 *
 * One writer at a time (a lock file naming its pid and host); any number of readers, in this
 * or other processes, which see the writer's commits as they land.
 *
 * @example
 * ```ts
 * const store = new FileStore({ dir: './data' });
 * await store.open({ format: 1, seed: 42, schema: {} });
 * ```
 */
export class FileStore implements EventStore {
  readonly description: string;
  readonly readOnly: boolean;
  /** What the writer cut from a torn tail when it opened, or null. */
  recovery: TailRecovery | null = null;

  private readonly dir: string;
  private readonly durability: Durability;
  private readonly segmentBytes: number;
  private readonly intervalMs: number;
  private readonly pollMs: number;

  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private opens: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private index = new LogIndex();
  private lock: WriterLock | null = null;
  private readonly watchers = new Set<(commit: TickCommit) => void>();
  private readonly records: RecordReader;

  // Writer: the segment being appended to, and the state appends are checked against (it runs
  // ahead of the index while appends wait for their turn).
  private segment = 1;
  private segmentHandle: FileHandle | null = null;
  private segmentSize = 0;
  /** The segment file's size: `segmentSize` and the zeros reserved after it. */
  private segmentEnd = 0;
  private acceptedCommit: TickCommit | null = null;
  private acceptedInput = 0;
  // What the fast writer leaves to the runtime's encoder, reported as a payload error.
  private readonly encoders: RecordEncoders = {
    event: (e) => this.encode(() => encodeEnvelope(e), `event seq ${e.seq}`),
    input: (i) => this.encode(() => encodeValue(inputToTuple(i)), `input ${i.ino}`),
    commit: (c) => this.encode(() => encodeValue(commitToTuple(c)), `commit of tick ${c.tick}`),
  };
  // Appends are framed into `pending`; a flush swaps it with `spare` (free: one flush at a time)
  // and writes it, while the next appends gather in the other.
  private pending = new Batch(this.encoders);
  private spare = new Batch(this.encoders);
  private flushing: Promise<void> | null = null;
  /** Deferred inputs are written even when no commit came to take them (end of the turn). */
  private deferredDue = false;
  private deferredTimer: ReturnType<typeof setImmediate> | null = null;
  private failure: CausewayError | null = null;
  private dirty = false;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSync = 0;

  // Reader: where the next scan starts (after the last record that is not a pending event).
  private readonly tail: TailFollower;
  private pollTimer: ReturnType<typeof setInterval> | null = null;

  private readonly secondary = new SecondaryIndex();

  constructor(options: FileStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A FileStore needs its options, at least its folder, got ${options === null ? 'null' : typeof options}. Pass { dir: './data' }.`,
        { options: options === null ? 'null' : typeof options },
      );
    }
    const dir: unknown = options.dir;
    // resolve('') is the working directory: a log would land wherever the process started.
    if (typeof dir !== 'string' || dir.trim() === '') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `dir must name the store's folder (for example './data'), got ${JSON.stringify(dir) ?? String(dir)}.`,
        { dir },
      );
    }
    this.dir = resolve(options.dir);
    this.description = `file:${options.dir}`;
    this.records = new RecordReader(this.dir, this.description, () => this.index);
    this.tail = new TailFollower(
      this.dir,
      this.description,
      this.records,
      () => this.index,
      () => this.state === 'closed',
      (commit) => this.notify(commit),
    );
    const readOnly: unknown = options.readOnly ?? false;
    // A string such as 'false' from a configuration file would open a reader that refuses
    // every write, or the other way round: only a boolean says which.
    if (typeof readOnly !== 'boolean') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `readOnly must be true or false, got ${JSON.stringify(readOnly) ?? String(readOnly)}.`,
        { readOnly },
      );
    }
    this.readOnly = readOnly;
    this.durability = options.durability ?? 'commit';
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.intervalMs = options.intervalMs ?? 100;
    this.pollMs = options.pollMs ?? 50;
    if (
      !Number.isInteger(this.segmentBytes) ||
      this.segmentBytes < 1024 ||
      this.segmentBytes > 2 ** 32
    ) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `segmentBytes must be an integer from 1024 to 2^32, got ${this.segmentBytes}.`,
        {
          segmentBytes: this.segmentBytes,
        },
      );
    }
    for (const [name, value, least] of [
      ['intervalMs', this.intervalMs, 0],
      ['pollMs', this.pollMs, 1],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < least) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `${name} must be a finite number of ${least} or more milliseconds, got ${String(value)}.`,
          { [name]: value },
        );
      }
    }
    if (!['commit', 'interval', 'none'].includes(this.durability)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `durability must be 'commit', 'interval' or 'none', got ${String(this.durability)}.`,
        {
          durability: this.durability,
        },
      );
    }
  }

  /**
   * Opens the folder. A writer takes the lock, scans the segments, cuts a torn tail (see
   * {@link FileStore.recovery}) and writes the header into a new log.
   * @throws StoreLockedError when another writer holds the folder
   * @throws StoreCorruptedError naming the segment and byte offset of damage in the log's middle
   * @throws CausewayError `CW_LOG_MISMATCH` when the log was written with another seed
   */
  open(header?: LogHeader): Promise<LogHeader | null> {
    // Opens run one after the other, so a second call sees what the first one opened.
    const opening = this.opens.then(() => this.openOnce(header));
    this.opens = opening.catch(() => undefined);
    return opening;
  }

  private async openOnce(header: LogHeader | undefined): Promise<LogHeader | null> {
    if (this.state === 'closed') throw storeClosed(this.description);
    if (this.state === 'open') return await this.openAgain(header);
    // Before the folder, the lock or a byte is made: a bad header leaves nothing behind.
    if (!this.readOnly && header !== undefined) checkNewHeader(this.description, header);
    this.state = 'opening';
    try {
      if (this.readOnly) await this.openReader();
      else await this.openWriter(header);
    } catch (error) {
      await this.release();
      this.state = 'closed';
      // A file system error from the scan (a segment that is a folder, say) names its file.
      const path = pathOf(error, this.dir);
      if (path === undefined) throw error;
      throw fileFailure(
        error,
        this.description,
        path,
        'open the log',
        this.readOnly ? 'read' : 'write',
      );
    }
    this.state = 'open';
    return this.index.header;
  }

  /**
   * A second open() of an open store: a writer checks the header against its log's (or, on
   * an empty log it opened without one, writes it); a reader returns what it knows.
   */
  private async openAgain(header: LogHeader | undefined): Promise<LogHeader | null> {
    if (this.readOnly || header === undefined) return this.index.header;
    checkNewHeader(this.description, header);
    if (this.index.header !== null) {
      checkHeader(this.description, this.index.header, header);
      return this.index.header;
    }
    await this.writeHeader(header, segmentPath(this.dir, this.segment));
    return header;
  }

  private async openReader(): Promise<void> {
    const { segments } = await listSegments(this.dir);
    const checkpoint = await readIndexFile(this.dir, await segmentSizes(this.dir, segments));
    if (checkpoint !== null) {
      this.index = checkpoint.index;
      this.tail.startAt(checkpoint.segment, checkpoint.offset);
    }
    await this.tail.refresh();
    let manifest;
    try {
      manifest = await readManifest(this.dir);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      throw this.corrupted({ segment: 1, offset: 0, reason: error.message, kind: 'corrupt' });
    }
    if (manifest === null || manifest.segments === 0) return;
    if (!(await segmentExists(this.dir, manifest.segments))) {
      throw this.corrupted({
        segment: manifest.segments,
        offset: 0,
        reason: `the log's manifest records ${manifest.segments} segment(s) and this one is missing, so the log's tail was deleted or lost (restore the missing files from a backup if there is one)`,
        kind: 'corrupt',
      });
    }
  }

  private async openWriter(header: LogHeader | undefined): Promise<void> {
    await makeStoreFolder(this.dir, this.description);
    this.lock = await WriterLock.acquire(this.dir, this.description);
    const scan = await scanLog(this.dir, { useIndexFile: true });
    if (scan.damage?.kind === 'corrupt') {
      await scan.index.release();
      throw this.corrupted(scan.damage);
    }
    this.index = scan.index;
    this.index.resetPending();
    let last = scan.segments.at(-1) ?? 1;
    // A tail torn just before a roll leaves the cut in an earlier segment and only empty
    // segments after it (data after the cut would have been damage): drop them, after the
    // manifest stops naming them.
    const keep = Math.min(last, scan.cut.segment);
    if (keep < last) await this.recordSegments(keep);
    while (last > keep) {
      await unlink(segmentPath(this.dir, last));
      scan.sizes.delete(last);
      scan.segments.pop();
      last--;
    }
    this.segment = last;
    const path = segmentPath(this.dir, last);
    try {
      this.segmentHandle = await open(path, scan.segments.length === 0 ? 'wx+' : 'r+');
      if (scan.segments.length === 0) await syncFolder(this.dir);
      if (scan.manifest?.segments !== last) await this.recordSegments(last);
    } catch (error) {
      throw fileFailure(error, this.description, path, 'open the log for writing');
    }
    const size = scan.sizes.get(last) ?? 0;
    const cutAt = scan.cut.segment === last ? scan.cut.offset : 0;
    // The zeros a crashed writer had reserved are cut too, but they held nothing to recover.
    const dataEnd = size - (scan.fill?.segment === last ? scan.fill.bytes : 0);
    if (size > cutAt) {
      await this.segmentHandle.truncate(cutAt);
      await this.segmentHandle.datasync();
    }
    if (dataEnd > cutAt) {
      this.recovery = {
        segment: segmentName(last),
        offset: cutAt,
        bytesCut: dataEnd - cutAt,
        uncommittedEvents: scan.uncommittedEvents,
        reason: scan.damage?.reason ?? 'events after the last commit record',
      };
    }
    this.segmentSize = cutAt;
    this.segmentEnd = cutAt;
    this.acceptedCommit = this.index.lastCommit;
    this.acceptedInput = this.index.lastInput;
    if (header === undefined) return;
    if (this.index.header !== null) {
      checkHeader(this.description, this.index.header, header);
      return;
    }
    await this.writeHeader(header, path);
  }

  /** Writes the header record that starts a new, empty log, and syncs it. */
  private async writeHeader(header: LogHeader, path: string): Promise<void> {
    // A writer's open always leaves its last segment open before the header is written.
    const handle = this.segmentHandle as FileHandle;
    const body = encodeValue(header);
    const frames = new Uint8Array(frameSize(body.length));
    writeFrame(frames, 0, RecordKind.Header, body);
    try {
      await this.writeAll(frames, 0);
      await handle.datasync();
    } catch (error) {
      await handle.truncate(0).catch(() => undefined);
      throw fileFailure(error, this.description, path, 'write the log header');
    }
    this.segmentSize = frames.length;
    this.segmentEnd = Math.max(this.segmentEnd, frames.length);
    this.index.header = header;
  }

  /**
   * Journals inputs; under durability `commit` they are on disk when the promise resolves.
   * With `syncWithCommit` (the caller acknowledges them only when its next commit resolves)
   * they are queued and resolve at once: the commit that follows takes them into its own write
   * and sync, ahead of its events, and when no commit comes in this turn of the event loop they
   * are written on their own (a failed write then rejects the next append).
   */
  async journal(given: readonly InputRecord[], options?: JournalOptions): Promise<void> {
    this.ensureWritable();
    // Checked and written from one read of each field (see ownInputs).
    const inputs = ownInputs(given);
    checkJournal(this.description, this.acceptedInput, inputs);
    const batch = this.pending;
    batch.writer.frameInputs(inputs);
    this.acceptedInput += inputs.length;
    if (options?.syncWithCommit === true) {
      // No waiter: a failed write sets `failure`, which every later append reports.
      this.deferredTimer ??= setImmediate(this.endOfTurn);
      return;
    }
    await this.enqueue(batch);
  }

  /** Appends a tick's events and its commit record in one write; see {@link Durability}. */
  async commit(given: TickCommit, tickEvents: readonly StoredEnvelope[]): Promise<void> {
    this.ensureWritable();
    const commit = ownCommit(given);
    const events = ownEvents(tickEvents);
    checkCommit(this.description, this.acceptedCommit, this.acceptedInput, commit, events);
    const batch = this.pending;
    batch.writer.frameTick(events, commit);
    batch.addCommit(commit);
    this.acceptedCommit = commit;
    await this.enqueue(batch);
  }

  /** Stores a snapshot, replacing one of the same tick. */
  async saveSnapshot(given: Snapshot): Promise<void> {
    this.ensureWritable();
    const snapshot = ownSnapshot(given);
    checkSnapshot(
      this.description,
      snapshot,
      this.acceptedCommitOf(snapshot.tick),
      this.acceptedCommit?.tick ?? 0,
    );
    const body = encodeValue([snapshot.tick, snapshot.lastSeq, snapshot.lastInput, snapshot.bytes]);
    const batch = this.pending;
    batch.writer.frameBody(RecordKind.Snapshot, body);
    batch.addSnapshot(snapshot);
    await this.enqueue(batch);
  }

  async latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null> {
    await this.ready();
    const bound =
      atOrBeforeTick === undefined
        ? undefined
        : normalisePosition('atOrBeforeTick', atOrBeforeTick);
    const list = this.index.snapshots;
    for (let i = list.length - 1; i >= 0; i--) {
      const place = list[i] as (typeof list)[number];
      if (bound !== undefined && place.tick > bound) continue;
      const frame = await this.records.readSpan(place.segment, place.offset, place.size);
      this.records.checkFrameAt(frame, 0, place.size, place.segment, place.offset);
      // An index-covered record is not scanned at open: a snapshot written without bytes (a
      // writer before the snapshot check) is damage found here.
      const bytes = this.records.decodeAt(place, () => {
        const t = decodeValue(frame.subarray(FRAME_HEAD)) as unknown[];
        if (!(t[3] instanceof Uint8Array)) throw new TypeError('its bytes are not binary');
        return t[3];
      });
      return {
        tick: place.tick,
        lastSeq: place.lastSeq,
        lastInput: place.lastInput,
        bytes: bytes.slice(),
      };
    }
    return null;
  }

  async readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>> {
    this.checkOpen();
    const q = normaliseQuery(query);
    const plain = q.entity === undefined && q.type === undefined && q.correlation === undefined;
    // A reader catches up with the writer first, unless the page ends before the last event it
    // knows: then what the writer added since cannot change it (a rebuild reads page after
    // page of a long log without a `stat` each).
    if (this.readOnly && !(plain && q.fromSeq + q.limit - 1 < this.index.lastSeq))
      await this.tail.refresh();
    const end = Math.min(q.toSeq, this.index.lastSeq);
    if (plain) {
      const last = Math.min(end, q.fromSeq + q.limit - 1);
      const items = last >= q.fromSeq ? await this.records.readSeqRange(q.fromSeq, last) : [];
      return { items, next: last < end && items.length > 0 ? last + 1 : null };
    }
    await this.indexUpTo(end);
    const { seqs, next } = this.secondary.find(q, end);
    return { items: await this.records.readSeqs(seqs), next };
  }

  async readInputs(after = 0, limit = DEFAULT_PAGE): Promise<readonly InputRecord[]> {
    await this.ready();
    checkLimit(limit);
    after = normalisePosition('after', after);
    const last = Math.min(this.index.lastInput, after + limit);
    const out: InputRecord[] = [];
    if (last <= after) return out;
    const numbers = Array.from({ length: last - after }, (_, i) => after + 1 + i);
    await this.records.readPlaces(
      this.index.inputs,
      numbers,
      1,
      (span, start, end, segment, offset) => {
        try {
          out.push(inputFromTuple(decodeValue(span.subarray(start, end)) as unknown[]));
        } catch (error) {
          throw this.records.undecodable(segment, offset, error);
        }
      },
    );
    return out;
  }

  async readCommits(afterTick = 0, limit = DEFAULT_PAGE): Promise<readonly TickCommit[]> {
    this.checkOpen();
    checkLimit(limit);
    afterTick = normalisePosition('afterTick', afterTick);
    // As `readEvents`: a page that ends before the last known commit needs no catching up.
    if (this.readOnly && !(afterTick + limit < this.index.commits.length))
      await this.tail.refresh();
    return this.index.commits.slice(afterTick, afterTick + limit);
  }

  async lastCommit(): Promise<TickCommit | null> {
    await this.ready();
    return this.index.lastCommit;
  }

  async lastInput(): Promise<number> {
    await this.ready();
    return this.index.lastInput;
  }

  /**
   * Calls `listener` with each commit after this call. On a reader, the segments are polled
   * every `pollMs` with an unref'd timer while someone watches.
   */
  watch(listener: (commit: TickCommit) => void): Unwatch {
    if (this.state === 'closed') throw storeClosed(this.description);
    const wrapper = (c: TickCommit): void => listener(c);
    this.watchers.add(wrapper);
    if (this.readOnly && this.pollTimer === null) {
      this.pollTimer = setInterval(() => {
        // A poll that fails (damage, a file being replaced) is retried at the next one; reads
        // report the error to their callers.
        this.tail.refresh().catch(() => undefined);
      }, this.pollMs);
      this.pollTimer.unref();
    }
    return () => {
      this.watchers.delete(wrapper);
      if (this.watchers.size === 0 && this.pollTimer !== null) {
        clearInterval(this.pollTimer);
        this.pollTimer = null;
      }
    };
  }

  /**
   * Waits for an open in progress and for queued appends, syncs, and releases the files and the
   * writer lock. Every call resolves once that is done.
   */
  close(): Promise<void> {
    // Every call waits for the one close: a second call that returned at once resolved while
    // the first was still syncing and releasing the lock.
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    // An open still running would take the lock and the files after this close released them
    // (and then mark the store open), holding the lock until the process ended: let it finish,
    // then close what it opened.
    if (this.state === 'opening') await this.opens;
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.flushing !== null) await this.flushing.catch(() => undefined);
    // Inputs journaled for a commit that never came are written before the files close.
    if (this.pending.writer.length > 0) {
      this.deferredDue = true;
      this.startFlush();
      await this.flushing?.catch(() => undefined);
    }
    await this.release(true);
  }

  // ---- writing ----

  private encode(make: () => Uint8Array, what: string): Uint8Array {
    try {
      return make();
    } catch (error) {
      throw new CausewayError(
        ErrorCodes.InvalidPayload,
        `The ${what} cannot be encoded for ${this.description}: ${String(error)}. Payloads are plain data.`,
        {
          store: this.description,
        },
        { cause: error },
      );
    }
  }

  /**
   * Queues `batch`'s last append for its caller to wait for: the promise resolves once the
   * batch is written, and synced under durability `commit`.
   */
  private enqueue(batch: Batch): Promise<void> {
    const done = batch.wait();
    // The end-of-turn write of inputs waiting for a commit is not needed any more: they go out
    // with this append, ahead of it, under its sync.
    if (this.deferredTimer !== null) {
      clearImmediate(this.deferredTimer);
      this.deferredTimer = null;
    }
    this.startFlush();
    return done;
  }

  /** No commit came in the turn that journaled inputs to ride on one: write them alone. */
  private readonly endOfTurn = (): void => {
    this.deferredTimer = null;
    this.deferredDue = true;
    this.startFlush();
  };

  private startFlush(): void {
    this.flushing ??= this.flush().finally(this.flushEnded);
  }

  // Bound once, like `endOfTurn`: not a closure a flush.
  private readonly flushEnded = (): void => {
    this.flushing = null;
    // An append queued while the last batch was settling starts the next flush.
    if (this.flushDue()) this.startFlush();
  };

  /** Whether the pending appends are to be written now: someone waits, or the turn ended. */
  private flushDue(): boolean {
    const batch = this.pending;
    return batch.waiters > 0 || (this.deferredDue && batch.writer.length > 0);
  }

  /**
   * Writes the pending appends, all that wait in one write and one sync (group commit), then
   * those that gathered meanwhile. Inputs waiting for a commit wait alone until the end of
   * their turn.
   */
  private async flush(): Promise<void> {
    while (this.flushDue()) {
      const batch = this.pending;
      this.pending = this.spare;
      this.spare = batch;
      this.deferredDue = false;
      let failure: CausewayError | null = null;
      try {
        if (this.failure !== null) throw this.failure;
        if (this.segmentSize >= this.segmentBytes) await this.roll();
        const bytes = batch.writer.framed();
        this.reserve(this.segmentSize + bytes.length);
        if (bytes.length <= SYNC_WRITE_MAX) this.writeNow(bytes, this.segmentSize);
        else await this.writeAll(bytes, this.segmentSize);
        // Inputs whose sync rides on the next commit are only written (a crash before that
        // commit loses nothing anyone was told is stored); the commit's sync covers them.
        if (this.durability === 'commit') {
          if (batch.waiters > 0) await this.datasync();
        } else if (this.durability === 'interval') this.scheduleSync();
        this.apply(batch, this.segmentSize);
        this.segmentSize += bytes.length;
      } catch (error) {
        // The segment size moves only once a batch is stored: it is where this one began.
        failure = this.failure ??= await this.fail(error, this.segmentSize);
      }
      if (failure === null && this.watchers.size > 0)
        for (let i = 0; i < batch.commitCount; i++) this.notify(batch.commits[i] as TickCommit);
      batch.settle(failure);
      // Nothing came in meanwhile (one tick after the other): the next appends go to the same
      // buffer again, still in the caches.
      if (this.pending.writer.length === 0) {
        this.spare = this.pending;
        this.pending = batch;
      }
    }
  }

  /** Indexes a batch's records, written from byte `start` of the current segment. */
  private apply(batch: Batch, start: number): void {
    const index = this.index;
    const segment = this.segment;
    const writer = batch.writer;
    let offset = start;
    let commits = 0;
    let snapshots = 0;
    for (let i = 0; i < writer.recordCount; i++) {
      const size = writer.size(i);
      switch (writer.kind(i)) {
        case RecordKind.Event:
          index.pending.push(segment, offset, size);
          break;
        case RecordKind.Input:
          index.inputs.push(segment, offset, size);
          break;
        case RecordKind.Commit:
          index.addCommit(batch.commits[commits++] as TickCommit);
          break;
        case RecordKind.Snapshot: {
          const snapshot = batch.snapshots[snapshots++] as Snapshot;
          index.addSnapshot({
            segment,
            offset,
            size,
            tick: snapshot.tick,
            lastSeq: snapshot.lastSeq,
            lastInput: snapshot.lastInput,
          });
          break;
        }
      }
      offset += size;
    }
  }

  /**
   * Extends the segment's file to well past `end` (zeros, without writing them) before a write
   * would grow it. Appends then land inside the file's size, and the `fdatasync` of such an
   * append flushes its data but needs no commit of the file system's journal for a new size,
   * as an append that grows the file does on every sync (the trick of PostgreSQL's WAL files;
   * docs/benchmarks.md, `durable-tick-1`, says what it bought). Readers stop at the zeros; a
   * roll and `close` cut them, a crashed writer's are cut by the next open.
   */
  private reserve(end: number): void {
    if (end <= this.segmentEnd) return;
    const target = Math.min(end + RESERVE_BYTES, this.segmentBytes);
    // A batch that runs past the segment's limit (the last before a roll) just grows it.
    if (target <= end) return;
    ftruncateSync(this.handle().fd, target);
    this.segmentEnd = target;
  }

  /** Cuts the reserved zeros after the last record, so that a closed segment ends on one. */
  private async cutReserve(handle: FileHandle): Promise<void> {
    if (this.segmentEnd <= this.segmentSize) return;
    await handle.truncate(this.segmentSize);
    this.segmentEnd = this.segmentSize;
  }

  /** A failed write leaves the store unusable: cut what may be half written and say why. */
  private async fail(error: unknown, start: number): Promise<CausewayError> {
    try {
      await this.handle().truncate(start);
      this.segmentEnd = start;
    } catch {
      // Recovery on the next open cuts the tail anyway.
    }
    return new CausewayError(
      ErrorCodes.StoreUnavailable,
      `Writing to ${this.description} failed (${String(error)}); nothing after the last acknowledged append was committed. Close this store, then open the folder with a new FileStore (its open cuts what was not committed).`,
      { store: this.description },
      { cause: error },
    );
  }

  private async roll(): Promise<void> {
    const old = this.handle();
    await this.cutReserve(old);
    if (this.durability !== 'none') await old.datasync();
    await old.close();
    this.segment++;
    this.segmentHandle = await open(segmentPath(this.dir, this.segment), 'wx+');
    this.segmentSize = 0;
    this.segmentEnd = 0;
    // The manifest names the new segment only once its file is durable (so it never names a
    // segment a crash can lose); it is written under every durability, or a later roll would
    // find it naming fewer segments than the folder holds, which is harmless but uninformative.
    await syncFolder(this.dir);
    await this.recordSegments(this.segment);
  }

  /** Records in the manifest that the log has `segments` segment files. */
  private async recordSegments(segments: number): Promise<void> {
    await writeManifest(this.dir, { segments });
  }

  private async writeAll(bytes: Uint8Array, position: number): Promise<void> {
    // A small append (a few ticks, a batch of inputs) is copied to the page cache in a few
    // microseconds: written in place, it spares the hand-off to libuv's thread pool and back,
    // which costs more than the copy (and, under load, as much as the sync). Large ones go to
    // the pool so that the event loop is not held.
    if (bytes.length <= SYNC_WRITE_MAX) {
      this.writeNow(bytes, position);
      return;
    }
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle().write(
        bytes,
        done,
        bytes.length - done,
        position + done,
      );
      done += bytesWritten;
    }
  }

  private writeNow(bytes: Uint8Array, position: number): void {
    const fd = this.handle().fd;
    let done = 0;
    while (done < bytes.length)
      done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }

  /**
   * `fdatasync`s the segment on libuv's thread pool. Through `fs.fdatasync` rather than the
   * `FileHandle`: a promise request allocates a stats array per call, which a durable tick,
   * bound by this call, would pay on the event loop.
   */
  private datasync(): Promise<void> {
    const fd = this.handle().fd;
    return new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        if (error === null) resolve();
        else reject(error);
      });
    });
  }

  private scheduleSync(): void {
    this.dirty = true;
    if (this.syncTimer !== null) return;
    const wait = Math.max(0, this.lastSync + this.intervalMs - Date.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.syncNow().catch(() => undefined);
    }, wait);
    this.syncTimer.unref();
  }

  private async syncNow(): Promise<void> {
    if (!this.dirty || this.segmentHandle === null) return;
    this.dirty = false;
    this.lastSync = Date.now();
    await this.segmentHandle.datasync();
  }

  private handle(): FileHandle {
    if (this.segmentHandle === null) throw storeClosed(this.description);
    return this.segmentHandle;
  }

  private notify(commit: TickCommit): void {
    for (const watcher of this.watchers) {
      try {
        watcher(commit);
      } catch {
        // A watcher's failure is its own; the commit is durable and the other watchers run.
      }
    }
  }

  // ---- reading ----

  /** The commit record of `tick` among those accepted (indexed, or waiting to be written). */
  private acceptedCommitOf(tick: number): TickCommit | undefined {
    const indexed = this.index.commits[tick - 1];
    if (indexed !== undefined) return indexed;
    for (const batch of [this.pending, this.spare]) {
      for (let i = 0; i < batch.commitCount; i++) {
        if (batch.commits[i]?.tick === tick) return batch.commits[i];
      }
    }
    return undefined;
  }

  private async ready(): Promise<void> {
    this.checkOpen();
    if (this.readOnly) await this.tail.refresh();
  }

  private checkOpen(): void {
    if (this.state === 'closed') throw storeClosed(this.description);
    if (this.state !== 'open') {
      throw new CausewayError(
        ErrorCodes.StoreNotOpen,
        `The store ${this.description} is not open; call open() first.`,
        {
          store: this.description,
        },
      );
    }
  }

  /** Extends the entity, type and correlation indexes to `lastSeq`, decoding new events once. */
  private async indexUpTo(lastSeq: number): Promise<void> {
    const s = this.secondary;
    while (s.upTo < lastSeq) {
      const to = Math.min(lastSeq, s.upTo + 10_000);
      const events = await this.records.readSeqRange(s.upTo + 1, to);
      for (const e of events) s.add(e);
      s.upTo = to;
    }
  }

  // ---- lifecycle ----

  private ensureWritable(): void {
    if (this.state === 'closed') throw storeClosed(this.description);
    if (this.readOnly) throw storeReadOnly(this.description);
    if (this.state !== 'open') {
      throw new CausewayError(
        ErrorCodes.StoreNotOpen,
        `The store ${this.description} is not open; call open(header) first.`,
        {
          store: this.description,
        },
      );
    }
    if (this.index.header === null) {
      throw new CausewayError(
        ErrorCodes.StoreNotOpen,
        `The log in ${this.description} has no header; open it with one (open(header)) before appending.`,
        {
          store: this.description,
        },
      );
    }
    if (this.failure !== null) throw this.failure;
  }

  private corrupted(damage: LogDamage): StoreCorruptedError {
    return damageError(this.description, damage);
  }

  private async release(saveIndex = false): Promise<void> {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    if (this.deferredTimer !== null) clearImmediate(this.deferredTimer);
    this.deferredTimer = null;
    this.watchers.clear();
    if (this.segmentHandle !== null) {
      const handle = this.segmentHandle;
      this.segmentHandle = null;
      if (this.failure === null) await this.cutReserve(handle).catch(() => undefined);
      if (this.durability !== 'none' && this.failure === null)
        await handle.datasync().catch(() => undefined);
      await handle.close().catch(() => undefined);
      // The next open reads this instead of scanning the log; without it (a crash, a failed
      // write) it scans from the last index written, or from the start.
      if (
        saveIndex &&
        this.failure === null &&
        this.index.header !== null &&
        this.index.pending.length === 0
      ) {
        const cover = { segment: this.segment, offset: this.segmentSize };
        await writeIndexFile(this.dir, this.index, cover).catch(() => undefined);
      }
    }
    await this.records.close();
    await this.index.release();
    if (this.lock !== null) {
      await this.lock.release();
      this.lock = null;
    }
  }
}

/**
 * Opens a {@link FileStore} on `dir`: a writer when given a header, else a reader.
 *
 * @example
 * ```ts
 * const { store, header } = await openFileStore('./data', { header: { format: 1, seed: 7, schema: {} } });
 * ```
 */
export async function openFileStore(
  dir: string,
  options: Omit<FileStoreOptions, 'dir'> & { readonly header?: LogHeader } = {},
): Promise<{ store: FileStore; header: LogHeader | null }> {
  const { header, ...rest } = options;
  const store = new FileStore({ ...rest, dir, readOnly: rest.readOnly ?? header === undefined });
  return { store, header: await store.open(header) };
}
