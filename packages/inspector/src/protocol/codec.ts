import { decode, Encoder } from '@msgpack/msgpack';
import { CODEC_MAX_DEPTH } from '@causeway/runtime/store-kit';
import { InspectorError, InspectorErrorCodes } from './errors.ts';
import { MAX_CLIENT_FRAME_BYTES, type ClientFrame, type ServerFrame } from './messages.ts';

// The levels a frame puts around a state value at most: the frame, its result, a list, an item,
// an entity's components, a table, an entry (`entityHistory` nests deepest), and one to spare.
const FRAME_LEVELS = 8;

// Shared: `encode` makes an encoder (and its buffer) a call. Its `encode` returns a copy, which
// a socket may keep while it sends. As deep as the runtime's codec writes a state value, plus
// the frame's own levels: the encoder's default (100 levels) refused a state the runtime had
// committed, hashed and snapshotted, and the agent answered every request for it with an error.
const frameEncoder = new Encoder({
  ignoreUndefined: true,
  maxDepth: CODEC_MAX_DEPTH + FRAME_LEVELS,
});

/** Encodes a frame as msgpack. */
export function encodeFrame(frame: ClientFrame | ServerFrame): Uint8Array {
  return frameEncoder.encode(frame);
}

function badFrame(message: string, details: Record<string, unknown> = {}): InspectorError {
  return new InspectorError({ code: InspectorErrorCodes.BadFrame, message, details });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeBytes(bytes: Uint8Array, maxBytes: number): unknown {
  if (bytes.byteLength > maxBytes) {
    throw new InspectorError({
      code: InspectorErrorCodes.FrameTooLarge,
      message: `A frame of ${bytes.byteLength} bytes is larger than the ${maxBytes} bytes accepted. Page the request instead.`,
      details: { bytes: bytes.byteLength, max: maxBytes },
    });
  }
  try {
    return decode(bytes);
  } catch (err) {
    throw badFrame(
      `The frame is not valid msgpack (${err instanceof Error ? err.message : String(err)}). Send msgpack-encoded request frames.`,
    );
  }
}

/**
 * Decodes a client's frame and checks its shape (`kind`, a safe integer `id`, a string `method`,
 * a map of `params`); the method and its params are checked by the agent.
 *
 * @throws InspectorError `frame-too-large` or `bad-frame`; `details.id` holds the request id
 *   when it could be read.
 */
export function decodeClientFrame(
  bytes: Uint8Array,
  maxBytes: number = MAX_CLIENT_FRAME_BYTES,
): ClientFrame {
  const value = decodeBytes(bytes, maxBytes);
  if (!isRecord(value)) throw badFrame('A frame must be a msgpack map.', {});
  const id = value['id'];
  const known = typeof id === 'number' && Number.isSafeInteger(id) ? { id } : {};
  if (value['kind'] !== 'request')
    throw badFrame(
      `A client frame has kind "request", got ${JSON.stringify(value['kind'])}.`,
      known,
    );
  if (!('id' in known))
    throw badFrame(`A request needs an integer id, got ${JSON.stringify(id)}.`, {});
  if (typeof value['method'] !== 'string')
    throw badFrame('A request needs a string method.', known);
  const params = value['params'] ?? {};
  if (!isRecord(params)) throw badFrame("A request's params must be a map.", known);
  return { kind: 'request', id: known.id, method: value['method'], params } as ClientFrame;
}

/**
 * Decodes an agent's frame.
 * @throws InspectorError `bad-frame` when it is not one.
 */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const value = decodeBytes(bytes, Number.MAX_SAFE_INTEGER);
  if (!isRecord(value)) throw badFrame('An agent frame must be a msgpack map.');
  const kind = value['kind'];
  if (kind !== 'result' && kind !== 'error' && kind !== 'push')
    throw badFrame(`Unknown agent frame kind ${JSON.stringify(kind)}.`);
  return value as unknown as ServerFrame;
}
