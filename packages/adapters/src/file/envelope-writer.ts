import type { InputRecord, StoredEnvelope, TickCommit } from '@causeway/runtime';
import { ENVELOPE_FIELDS, envelopeToTuple } from '@causeway/runtime/store-kit';
import type { EnvelopeField } from '@causeway/runtime/store-kit';
import { isUnsupported, MsgpackBuffer } from '../msgpack/msgpack-buffer.ts';
import { crc32c } from './crc32c.ts';
import { FRAME_HEAD, RecordKind } from './records.ts';
import type { RecordKindValue } from './records.ts';

// How each field is written, by its position in the runtime's ENVELOPE_FIELDS (the order is
// written there only).
const Write = { String: 0, Number: 1, NullableString: 2, Value: 3 } as const;
const WRITE_AS: Record<EnvelopeField, number> = {
  id: Write.String,
  seq: Write.Number,
  tick: Write.Number,
  type: Write.String,
  version: Write.Number,
  entity: Write.String,
  data: Write.Value,
  at: Write.Number,
  causation: Write.NullableString,
  correlation: Write.String,
  actor: Write.String,
};
const KINDS = Uint8Array.from(ENVELOPE_FIELDS, (field) => WRITE_AS[field]);
// Fixarray heads: an envelope has fewer than 16 fields, an input and a commit tuple 6 each (the
// runtime's `inputToTuple` and `commitToTuple`).
const ENVELOPE_HEAD = 0x90 | ENVELOPE_FIELDS.length;
const TUPLE6_HEAD = 0x96;

const FIRST_CAPACITY = 64 << 10;
// A buffer grown past this (a large snapshot) is let go once its bytes are written; below it,
// kept for the next large tick.
const KEEP_CAPACITY = 16 << 20;

/** What the writer falls back to for a record it does not encode byte for byte itself. */
export interface RecordEncoders {
  readonly event: (event: StoredEnvelope) => Uint8Array;
  readonly input: (input: InputRecord) => Uint8Array;
  readonly commit: (commit: TickCommit) => Uint8Array;
}

/**
 * The bytes of the file store's appends waiting for their write: input, event and commit
 * records framed straight into one growing buffer, checksums included, one append after the
 * other, with each record's kind and frame size beside them.
 *
 * Its bytes are exactly those of the runtime's `encodeEnvelope` and `encodeValue` (of
 * `inputToTuple` and `commitToTuple`; @msgpack/msgpack with `ignoreUndefined: false`), framed
 * by `writeFrame`, made without an intermediate buffer or a copy per record: ASCII text is
 * copied without UTF-8 counting. A record holding a value it does not handle byte for byte
 * (non-ASCII text, a `Date`, a `Map`, a typed array other than `Uint8Array`, an object with a
 * prototype) is encoded by its {@link RecordEncoders} fallback instead, whose bytes are framed.
 *
 * An append that throws (a fallback refusing a value) leaves the writer as it was before it.
 */
export class EnvelopeWriter extends MsgpackBuffer {
  /** How many records are framed. */
  recordCount = 0;
  // The kind and frame size of each record framed: the first `recordCount` entries. Entries past
  // it are stale, kept so that the lists do not shrink and grow again for every batch.
  private readonly kinds: RecordKindValue[] = [];
  private readonly sizes: number[] = [];

  constructor(private readonly fallback: RecordEncoders) {
    // The slack keeps room for the next record's frame head at every growth.
    super(FIRST_CAPACITY, FRAME_HEAD);
  }

  /** How many bytes are framed. */
  get length(): number {
    return this.pos;
  }

  /** The framed bytes: a view of the buffer, valid until the next append or {@link clear}. */
  framed(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  /** The kind of record `i` (from 0, below {@link recordCount}). */
  kind(i: number): RecordKindValue {
    return this.kinds[i] as RecordKindValue;
  }

  /** The frame size of record `i` (from 0, below {@link recordCount}). */
  size(i: number): number {
    return this.sizes[i] as number;
  }

  /** Forgets every record framed (written, or dropped with a failed write). */
  clear(): void {
    this.pos = 0;
    this.recordCount = 0;
    if (this.buf.length > KEEP_CAPACITY) {
      this.buf = Buffer.allocUnsafe(FIRST_CAPACITY);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  /**
   * Frames input records: `[ino, type, version, entity, data, actor]` each.
   * @throws whatever the input fallback throws for an input that cannot be encoded
   */
  frameInputs(inputs: readonly InputRecord[]): void {
    const pos = this.pos;
    const records = this.recordCount;
    try {
      for (let i = 0; i < inputs.length; i++) this.input(inputs[i] as InputRecord);
    } catch (error) {
      this.rewind(pos, records);
      throw error;
    }
  }

  /**
   * Frames a tick: its event records, then its commit record
   * `[tick, at, firstSeq, lastSeq, lastInput, hash]`.
   * @throws whatever a fallback throws for an event that cannot be encoded
   */
  frameTick(events: readonly StoredEnvelope[], commit: TickCommit): void {
    const pos = this.pos;
    const records = this.recordCount;
    try {
      for (let i = 0; i < events.length; i++) this.event(events[i] as StoredEnvelope);
      this.commit(commit);
    } catch (error) {
      this.rewind(pos, records);
      throw error;
    }
  }

  /** Frames a record whose body is already encoded (a snapshot). */
  frameBody(kind: RecordKindValue, body: Uint8Array): void {
    const start = this.open();
    this.bytes(body);
    this.seal(start, kind);
  }

  private input(record: InputRecord): void {
    const start = this.open();
    try {
      this.ensure(1);
      this.buf[this.pos++] = TUPLE6_HEAD;
      this.number(record.ino);
      this.string(record.type);
      this.number(record.version);
      this.string(record.entity);
      this.value(record.data, 2);
      this.string(record.actor);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      this.pos = start + FRAME_HEAD;
      this.bytes(this.fallback.input(record));
    }
    this.seal(start, RecordKind.Input);
  }

  private event(e: StoredEnvelope): void {
    const start = this.open();
    try {
      this.envelope(e);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      this.pos = start + FRAME_HEAD;
      this.bytes(this.fallback.event(e));
    }
    this.seal(start, RecordKind.Event);
  }

  private commit(c: TickCommit): void {
    const start = this.open();
    try {
      this.ensure(1);
      this.buf[this.pos++] = TUPLE6_HEAD;
      this.number(c.tick);
      this.number(c.at);
      this.number(c.firstSeq);
      this.number(c.lastSeq);
      this.number(c.lastInput);
      this.string(c.hash);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      this.pos = start + FRAME_HEAD;
      this.bytes(this.fallback.commit(c));
    }
    this.seal(start, RecordKind.Commit);
  }

  /** Starts a record: leaves room for its frame head; returns where the frame starts. */
  private open(): number {
    const start = this.pos;
    this.ensure(FRAME_HEAD);
    this.pos = start + FRAME_HEAD;
    return start;
  }

  /** Writes the frame head of the record from `start` to `pos`, and lists the record. */
  private seal(start: number, kind: RecordKindValue): void {
    const bodyLength = this.pos - start - FRAME_HEAD;
    this.view.setUint32(start + 4, bodyLength + 1, true);
    this.buf[start + 8] = kind;
    this.view.setUint32(start, crc32c(this.buf, start + 4, this.pos), true);
    this.kinds[this.recordCount] = kind;
    this.sizes[this.recordCount] = this.pos - start;
    this.recordCount++;
  }

  private rewind(pos: number, records: number): void {
    this.pos = pos;
    this.recordCount = records;
  }

  private envelope(e: StoredEnvelope): void {
    this.ensure(1);
    this.buf[this.pos++] = ENVELOPE_HEAD;
    const fields = envelopeToTuple(e);
    for (let i = 0; i < fields.length; i++) {
      const value = fields[i];
      switch (KINDS[i]) {
        case Write.String:
          this.string(value);
          break;
        case Write.Number:
          this.number(value);
          break;
        case Write.NullableString:
          if (value === null || value === undefined) this.byte(0xc0);
          else this.string(value);
          break;
        default:
          this.value(value, 2);
      }
    }
  }
}
