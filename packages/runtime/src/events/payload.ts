import { InvalidPayloadError } from '../errors/index.ts';

// The path being checked, as keys (strings) and array indexes (numbers). The readable path
// ("$.a[2].b") is only built for an error: building it for every field of every payload was
// most of the check's cost. Each call works above the length it found, so a check that runs
// during another (through a getter) leaves the outer one's segments as they were.
const segments: (string | number)[] = [];

/**
 * Checks that `value` is plain data that survives a msgpack round trip unchanged:
 * `null`, booleans, strings, finite numbers, plain objects, dense arrays and `Uint8Array`.
 *
 * @throws InvalidPayloadError (`CW_INVALID_PAYLOAD`) naming the first offending field's path.
 */
export function assertPlainData(eventType: string, value: unknown): void {
  const base = segments.length;
  try {
    check(eventType, value, base, null);
  } finally {
    if (segments.length !== base) segments.length = base;
  }
}

function pathFrom(base: number): string {
  let path = '$';
  for (let i = base; i < segments.length; i++) {
    const segment = segments[i] as string | number;
    path += typeof segment === 'number' ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

function check(eventType: string, value: unknown, base: number, ancestors: unknown[] | null): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidPayloadError(
          eventType,
          pathFrom(base),
          `${String(value)} is not a finite number`,
        );
      }
      return;
    case 'undefined':
      throw new InvalidPayloadError(
        eventType,
        pathFrom(base),
        'undefined does not survive encoding (it reads back as null); omit the field or use null',
      );
    case 'bigint':
      throw new InvalidPayloadError(
        eventType,
        pathFrom(base),
        'a bigint is not plain data; encode it as a string',
      );
    case 'function':
      throw new InvalidPayloadError(eventType, pathFrom(base), 'a function is not data');
    case 'symbol':
      throw new InvalidPayloadError(eventType, pathFrom(base), 'a symbol is not data');
    case 'object':
      break;
  }
  if (value === null || value instanceof Uint8Array) return;
  // Cycle detection only needs the current path: a shared (non-cyclic) reference is fine.
  if (ancestors !== null && ancestors.includes(value)) {
    throw new InvalidPayloadError(
      eventType,
      pathFrom(base),
      'the value refers back to itself (a cycle)',
    );
  }
  // The ancestors list is only made (or extended) when an object child needs it.
  let inner: unknown[] | null = null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      segments.push(i);
      if (!(i in value))
        throw new InvalidPayloadError(eventType, pathFrom(base), 'a sparse array hole is not data');
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null) {
        if (inner === null) (inner = ancestors ?? []).push(value);
        check(eventType, child, base, inner);
      } else check(eventType, child, base, null);
      segments.pop();
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        value instanceof Date
          ? 'a Date (use epoch milliseconds)'
          : `an instance of ${describeClass(value)}`;
      throw new InvalidPayloadError(eventType, pathFrom(base), `${kind} is not plain data`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new InvalidPayloadError(eventType, pathFrom(base), 'symbol keys are not data');
    }
    for (const key in value) {
      segments.push(key);
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        if (inner === null) (inner = ancestors ?? []).push(value);
        check(eventType, child, base, inner);
      } else check(eventType, child, base, null);
      segments.pop();
    }
  }
  if (inner !== null) inner.pop();
}

function describeClass(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'a class';
}
