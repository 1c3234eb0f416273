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
  private readonly ring: (Activity | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<Activity | undefined>(capacity);
  }

  /** The wall clock, in milliseconds with sub-millisecond precision. */
  static now(): number {
    return wallNow();
  }

  record(activity: Activity): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = activity;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The kept activities, oldest first. */
  list(): Activity[] {
    const out: Activity[] = [];
    const start = (this.next - this.size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.size; i++)
      out.push(this.ring[(start + i) % this.capacity] as Activity);
    return out;
  }
}
