import { uuidv7 } from 'uuidv7';

/**
 * Makes a new entity id on the client side, outside the loop: a UUIDv7 from the wall clock
 * and the platform's cryptographic randomness (the `uuidv7` package). Use it to name the entity
 * of an input before sending it; inside a listener use `ctx.create()`, which is deterministic.
 */
export function newEntityId(): string {
  return uuidv7();
}
