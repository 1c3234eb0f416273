import type { Activity } from './types.ts';

// Captured when the module loads, so that strict mode, which makes `performance.now` throw
// inside listeners, never affects the meta log's own timing.
const wallNow: () => number = performance.now.bind(performance);

/**
 * The activities meta log: listener runs and their wall-clock durations, kept apart from the
 * domain log. Wall time is read here and only here; it never enters an event or a hash.
 * A ring buffer: the newest `capacity` runs are kept.
 */
export class ActivityLog {
  // Columns rather than one object per run: a run is recorded for every listener call, and
  // objects kept in a ring outlive the young generation, so each would be copied and promoted
  // before being dropped. `list()` builds the objects on demand.
  private readonly ticks: Float64Array;
  private readonly seqs: Float64Array;
  private readonly durations: Float64Array;
  private readonly failed: Uint8Array;
  private readonly listeners: string[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ticks = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.durations = new Float64Array(capacity);
    this.failed = new Uint8Array(capacity);
    this.listeners = new Array<string>(capacity).fill('');
  }

  /** The wall clock, in milliseconds with sub-millisecond precision. */
  static now(): number {
    return wallNow();
  }

  /** Records one run without building its {@link Activity} (the loop's hot path). */
  recordRun(
    tick: number,
    seq: number,
    listener: string,
    durationMs: number,
    failed: boolean,
  ): void {
    if (this.capacity === 0) return;
    const at = this.next;
    this.ticks[at] = tick;
    this.seqs[at] = seq;
    this.listeners[at] = listener;
    this.durations[at] = durationMs;
    this.failed[at] = failed ? 1 : 0;
    this.next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The kept activities, oldest first. */
  list(): Activity[] {
    const out: Activity[] = [];
    const start = (this.next - this.size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.size; i++) {
      const at = (start + i) % this.capacity;
      out.push({
        tick: this.ticks[at] as number,
        seq: this.seqs[at] as number,
        listener: this.listeners[at] as string,
        durationMs: this.durations[at] as number,
        outcome: this.failed[at] === 1 ? 'failed' : 'ok',
      });
    }
    return out;
  }
}
