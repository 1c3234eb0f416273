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
 * Envelopes are stored as an 11-element array, in the order of DESIGN.md's table: smaller and
 * faster to encode and decode than a map with its repeated keys.
 */
export function envelopeToTuple(e: StoredEnvelope): unknown[] {
  return [
    e.id,
    e.seq,
    e.tick,
    e.type,
    e.version,
    e.entity,
    e.data,
    e.at,
    e.causation,
    e.correlation,
    e.actor,
  ];
}

/** The inverse of {@link envelopeToTuple}. */
export function envelopeFromTuple(t: readonly unknown[]): StoredEnvelope {
  return {
    id: t[0] as string,
    seq: t[1] as number,
    tick: t[2] as number,
    type: t[3] as string,
    version: t[4] as number,
    entity: t[5] as string,
    data: t[6],
    at: t[7] as number,
    causation: t[8] as string | null,
    correlation: t[9] as string,
    actor: t[10] as string,
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
