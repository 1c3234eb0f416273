import type { TickCommit } from '@causeway/runtime';
import type { LogIndex } from './log-index.ts';
import { RecordError } from './log-index.ts';
import { damageError } from './reader.ts';
import type { RecordReader } from './reader.ts';
import { scanSegment, segmentExists, validRecordAfter } from './segments.ts';

/**
 * A reader's view of the writer's tail: where the reader's index ends, and the scan that extends
 * it with whatever the writer appended since (in this or another process). Events of a tick
 * whose commit record has not landed yet are not taken in; the next look reads them again.
 */
export class TailFollower {
  /** Where the next scan starts: after the last record that is not a pending event. */
  consumedSegment = 1;
  consumedOffset = 0;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly description: string,
    private readonly records: RecordReader,
    private readonly index: () => LogIndex,
    private readonly closed: () => boolean,
    private readonly notify: (commit: TickCommit) => void,
  ) {}

  /** Starts following from `segment` at `offset` (the end of an index read from its file). */
  startAt(segment: number, offset: number): void {
    this.consumedSegment = segment;
    this.consumedOffset = offset;
  }

  /** Catches a reader up with the writer: scans what was appended since the last look. */
  refresh(): Promise<void> {
    const run = this.refreshing.then(() => this.catchUp());
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async catchUp(): Promise<void> {
    const seen: TickCommit[] = [];
    for (;;) {
      if (this.closed()) return;
      const nextExists = await segmentExists(this.dir, this.consumedSegment + 1);
      const handle = await this.records.readHandle(this.consumedSegment, false);
      if (handle === null) return;
      const size = (await handle.stat()).size;
      this.index().resetPending();
      let failure: RecordError | null = null;
      let failedAt = 0;
      const segment = this.consumedSegment;
      const scan = await scanSegment(
        handle,
        this.consumedOffset,
        size,
        (kind, chunk, at, length, offset) => {
          if (failure !== null) return;
          try {
            const commit = this.index().ingest(kind, chunk, at, length, segment, offset);
            if (commit !== null) seen.push(commit);
          } catch (error) {
            if (!(error instanceof RecordError)) throw error;
            failure = error;
            failedAt = offset;
            return;
          }
          if (this.index().pending.length === 0) this.consumedOffset = offset + length;
        },
      );
      if (failure !== null) {
        throw damageError(this.description, {
          segment: this.consumedSegment,
          offset: failedAt,
          reason: (failure as RecordError).message,
          kind: 'corrupt',
        });
      }
      if (
        scan.bad !== null &&
        (nextExists || (await validRecordAfter(handle, scan.bad.offset, size)))
      ) {
        throw damageError(this.description, {
          segment: this.consumedSegment,
          offset: scan.bad.offset,
          reason: scan.bad.reason,
          kind: 'corrupt',
        });
      }
      // A writer cuts its reserve before it starts the next segment: zeros before one are damage.
      if (scan.fill > 0 && nextExists) {
        throw damageError(this.description, {
          segment: this.consumedSegment,
          offset: scan.end,
          reason: `${scan.fill} zero bytes end the segment where records should be (a later segment exists)`,
          kind: 'corrupt',
        });
      }
      if (!nextExists || scan.bad !== null || this.index().pending.length > 0) break;
      this.consumedSegment++;
      this.consumedOffset = 0;
    }
    this.index().resetPending();
    for (const commit of seen) this.notify(commit);
  }
}
