/** The fields of an event that secondary indexes key on. */
export interface IndexedEvent {
  readonly seq: number;
  readonly entity: string;
  readonly type: string;
  readonly correlation: string;
}

/** The filters of a query, as `normaliseQuery` returns them. */
export interface IndexQuery {
  readonly fromSeq: number;
  readonly limit: number;
  readonly entity: string | undefined;
  readonly type: string | undefined;
  readonly correlation: string | undefined;
}

/**
 * The entity, type and correlation indexes of a log: for each key, the seqs of its events in
 * increasing order. Stores build it lazily (`upTo` says how far) and answer filtered reads from
 * it: the most selective list is walked, the others are binary-searched.
 */
export class SecondaryIndex {
  /** The last seq indexed. */
  upTo = 0;
  private readonly entity = new Map<string, number[]>();
  private readonly type = new Map<string, number[]>();
  private readonly correlation = new Map<string, number[]>();

  /** Indexes one event; events are added in seq order, each once. */
  add(e: IndexedEvent): void {
    append(this.entity, e.entity, e.seq);
    append(this.type, e.type, e.seq);
    append(this.correlation, e.correlation, e.seq);
    this.upTo = e.seq;
  }

  /**
   * The seqs from `q.fromSeq` to `end` of the events matching every filter `q` sets (at least
   * one), at most `q.limit`, and the seq the next page starts at (`null` at the end).
   */
  find(q: IndexQuery, end: number): { seqs: number[]; next: number | null } {
    const lists: number[][] = [];
    if (q.entity !== undefined) lists.push(this.entity.get(q.entity) ?? []);
    if (q.type !== undefined) lists.push(this.type.get(q.type) ?? []);
    if (q.correlation !== undefined) lists.push(this.correlation.get(q.correlation) ?? []);
    lists.sort((a, b) => a.length - b.length);
    const [first = [], ...others] = lists;
    const seqs: number[] = [];
    for (let i = lowerBound(first, q.fromSeq); i < first.length; i++) {
      const seq = first[i] as number;
      if (seq > end) break;
      if (!others.every((list) => contains(list, seq))) continue;
      if (seqs.length === q.limit) return { seqs, next: seq };
      seqs.push(seq);
    }
    return { seqs, next: null };
  }
}

function append(map: Map<string, number[]>, key: string, seq: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [seq]);
  else list.push(seq);
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(sorted: readonly number[], value: number): boolean {
  const i = lowerBound(sorted, value);
  return i < sorted.length && sorted[i] === value;
}
