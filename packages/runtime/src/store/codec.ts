import { Decoder, Encoder } from '@msgpack/msgpack';
import type { StoredEnvelope } from '../events/envelope.ts';
import type { InputRecord, LogHeader, TickCommit } from './port.ts';

/**
 * The deepest nesting the codec encodes. Payloads are limited far below it (storable data,
 * at most 256 levels even when a system raises its limit), which leaves room for what wraps
 * them: an envelope's tuple, a timer's payload, a snapshot's state tables and entities. The
 * decoder walks its input without recursion, so it reads back whatever the encoder wrote.
 */
export const CODEC_MAX_DEPTH = 1024;

// One encoder and decoder for the process: @msgpack/msgpack reuses their buffers, which is
// several times faster than the one-shot encode()/decode() helpers.
const encoder = new Encoder({ ignoreUndefined: false, maxDepth: CODEC_MAX_DEPTH });
const decoder = new Decoder();

/**
 * Encodes a value with msgpack. The returned bytes are a copy and may be kept.
 */
export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes msgpack bytes. */
export function decodeValue(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}

/**
 * The envelope's fields in the order every store lays them out: the runtime's codec (the
 * msgpack tuple), the file store's records (written and read by its own fast coders) and the
 * SQL store's columns. This list is the only place the order is written; the codes derive it
 * from here. Changing it changes the file store's record format.
 */
export const ENVELOPE_FIELDS = [
  'id',
  'seq',
  'tick',
  'type',
  'version',
  'entity',
  'data',
  'at',
  'causation',
  'correlation',
  'actor',
] as const;

/** One field of an envelope, as named in {@link ENVELOPE_FIELDS}. */
export type EnvelopeField = (typeof ENVELOPE_FIELDS)[number];

// Every field of a stored envelope is in the list, and nothing else: a new field fails here.
type Missing = Exclude<keyof StoredEnvelope, EnvelopeField>;
type Extra = Exclude<EnvelopeField, keyof StoredEnvelope>;
const everyField: [Missing, Extra] extends [never, never] ? true : never = true;
void everyField;

/** Each field's position in {@link ENVELOPE_FIELDS} (and so in the tuple). */
export const ENVELOPE_LAYOUT: { readonly [F in EnvelopeField]: number } = Object.freeze(
  Object.fromEntries(ENVELOPE_FIELDS.map((field, i) => [field, i])) as {
    [F in EnvelopeField]: number;
  },
);

const L = ENVELOPE_LAYOUT;
const FIELD_COUNT = ENVELOPE_FIELDS.length;

/**
 * Encodes an envelope as an array of its fields in {@link ENVELOPE_FIELDS} order: smaller and
 * faster to encode and decode than a map with its repeated keys.
 */
export function envelopeToTuple(e: StoredEnvelope): unknown[] {
  const t = new Array<unknown>(FIELD_COUNT);
  t[L.id] = e.id;
  t[L.seq] = e.seq;
  t[L.tick] = e.tick;
  t[L.type] = e.type;
  t[L.version] = e.version;
  t[L.entity] = e.entity;
  t[L.data] = e.data;
  t[L.at] = e.at;
  t[L.causation] = e.causation;
  t[L.correlation] = e.correlation;
  t[L.actor] = e.actor;
  return t;
}

/** The inverse of {@link envelopeToTuple}. */
export function envelopeFromTuple(t: readonly unknown[]): StoredEnvelope {
  return {
    id: t[L.id] as string,
    seq: t[L.seq] as number,
    tick: t[L.tick] as number,
    type: t[L.type] as string,
    version: t[L.version] as number,
    entity: t[L.entity] as string,
    data: t[L.data],
    at: t[L.at] as number,
    causation: t[L.causation] as string | null,
    correlation: t[L.correlation] as string,
    actor: t[L.actor] as string,
  };
}

/** Encodes an envelope to msgpack bytes. */
export function encodeEnvelope(e: StoredEnvelope): Uint8Array {
  return encoder.encode(envelopeToTuple(e));
}

/** Decodes msgpack bytes made by {@link encodeEnvelope}. */
export function decodeEnvelope(bytes: Uint8Array): StoredEnvelope {
  return envelopeFromTuple(decoder.decode(bytes) as unknown[]);
}

/** Encodes an input record as a tuple. */
export function inputToTuple(i: InputRecord): unknown[] {
  return [i.ino, i.type, i.version, i.entity, i.data, i.actor];
}

/** The inverse of {@link inputToTuple}. */
export function inputFromTuple(t: readonly unknown[]): InputRecord {
  return {
    ino: t[0] as number,
    type: t[1] as string,
    version: t[2] as number,
    entity: t[3] as string,
    data: t[4],
    actor: t[5] as string,
  };
}

/** Encodes a commit record as a tuple. */
export function commitToTuple(c: TickCommit): unknown[] {
  return [c.tick, c.at, c.firstSeq, c.lastSeq, c.lastInput, c.hash];
}

/** The inverse of {@link commitToTuple}. */
export function commitFromTuple(t: readonly unknown[]): TickCommit {
  return {
    tick: t[0] as number,
    at: t[1] as number,
    firstSeq: t[2] as number,
    lastSeq: t[3] as number,
    lastInput: t[4] as number,
    hash: t[5] as string,
  };
}

/** Checks that a value read back as a header is one. */
export function isLogHeader(value: unknown): value is LogHeader {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    h['format'] === 1 &&
    typeof h['seed'] === 'number' &&
    typeof h['schema'] === 'object' &&
    h['schema'] !== null
  );
}
