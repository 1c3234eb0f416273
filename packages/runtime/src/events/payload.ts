import { InvalidPayloadError } from '../errors/index.ts';

/**
 * Checks that `value` is plain data that survives a msgpack round trip unchanged:
 * `null`, booleans, strings, finite numbers, plain objects, dense arrays and `Uint8Array`.
 *
 * @throws InvalidPayloadError (`CW_INVALID_PAYLOAD`) naming the first offending field's path.
 */
export function assertPlainData(eventType: string, value: unknown): void {
  check(eventType, value, '$', undefined);
}

function check(eventType: string, value: unknown, path: string, seen: unknown[] | undefined): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidPayloadError(eventType, path, `${String(value)} is not a finite number`);
      }
      return;
    case 'undefined':
      throw new InvalidPayloadError(
        eventType,
        path,
        'undefined does not survive encoding (it reads back as null); omit the field or use null',
      );
    case 'bigint':
      throw new InvalidPayloadError(
        eventType,
        path,
        'a bigint is not plain data; encode it as a string',
      );
    case 'function':
      throw new InvalidPayloadError(eventType, path, 'a function is not data');
    case 'symbol':
      throw new InvalidPayloadError(eventType, path, 'a symbol is not data');
    case 'object':
      break;
  }
  if (value === null || value instanceof Uint8Array) return;
  // Cycle detection only needs the current path: a shared (non-cyclic) reference is fine.
  const stack = seen ?? [];
  if (stack.includes(value))
    throw new InvalidPayloadError(eventType, path, 'the value refers back to itself (a cycle)');
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value))
        throw new InvalidPayloadError(
          eventType,
          `${path}[${i}]`,
          'a sparse array hole is not data',
        );
      check(eventType, value[i], `${path}[${i}]`, stack);
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        value instanceof Date
          ? 'a Date (use epoch milliseconds)'
          : `an instance of ${describeClass(value)}`;
      throw new InvalidPayloadError(eventType, path, `${kind} is not plain data`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new InvalidPayloadError(eventType, path, 'symbol keys are not data');
    }
    for (const key in value) {
      check(eventType, (value as Record<string, unknown>)[key], `${path}.${key}`, stack);
    }
  }
  stack.pop();
}

function describeClass(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'a class';
}
