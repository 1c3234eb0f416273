import type { StoredEnvelope } from '../events/envelope.ts';

// The envelopes the memory store hands out on a read. V8 decides for each object literal in the
// source whether to allocate its objects straight in the old generation, from how many survived
// a collection before, and keeps the decision: in a process that had ticked, a rebuild that made
// its envelopes with a literal ran at 0.8–1.0 million events/s in some processes and at 2
// million in others (a memory log of 500,000 events, alternating scratch runs). Objects made
// with `new` get no such decision: made this way, the same rebuild ran at 1.8–1.9 million in
// every process.

function Envelope(
  this: Record<string, unknown>,
  id: string,
  seq: number,
  tick: number,
  type: string,
  version: number,
  entity: string,
  data: unknown,
  at: number,
  causation: string | null,
  correlation: string,
  actor: string,
): void {
  // In the loop's order (ENVELOPE_FIELDS), so that every envelope shares one shape.
  this.id = id;
  this.seq = seq;
  this.tick = tick;
  this.type = type;
  this.version = version;
  this.entity = entity;
  this.data = data;
  this.at = at;
  this.causation = causation;
  this.correlation = correlation;
  this.actor = actor;
}
// A plain object, as a literal would be: `Object.getPrototypeOf(e) === Object.prototype`.
Envelope.prototype = Object.prototype;

/**
 * Makes a stored envelope of these fields, with `new`: a plain object (prototype
 * `Object.prototype`, keys in the loop's order), not frozen. What the memory store builds for
 * each event it reads.
 */
export const PlainEnvelope = Envelope as unknown as new (
  ...fields: Parameters<typeof Envelope>
) => StoredEnvelope;
