import {
  InspectorError,
  InspectorErrorCodes,
  MAX_ENTITY_PARAM,
  MAX_PAGE_ITEMS,
  MAX_PATH_KEYS,
  MAX_TEXT_PARAM,
  type EventFilter,
  type MethodName,
  type ParamsOf,
  type StatePath,
} from '../protocol/index.ts';

type Raw = Readonly<Record<string, unknown>>;

function bad(method: string, field: string, value: unknown, want: string): InspectorError {
  let shown: string;
  try {
    shown = JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    shown = typeof value;
  }
  return new InspectorError({
    code: InspectorErrorCodes.BadParams,
    message: `${method}: ${field} must be ${want}, got ${shown}.`,
    details: { method, field },
  });
}

function int(method: string, raw: Raw, field: string, min: number): number | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw bad(method, field, value, `an integer of at least ${min}`);
  return value;
}

function required(method: string, raw: Raw, field: string, min: number): number {
  const value = int(method, raw, field, min);
  if (value === undefined) throw bad(method, field, undefined, `an integer of at least ${min}`);
  return value;
}

function text(
  method: string,
  raw: Raw,
  field: string,
  maxLength = MAX_TEXT_PARAM,
): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxLength)
    throw bad(method, field, value, `a string of at most ${maxLength} characters`);
  return value;
}

function limit(method: string, raw: Raw, fallback: number): number {
  const value = int(method, raw, 'limit', 1) ?? fallback;
  if (value > MAX_PAGE_ITEMS) throw bad(method, 'limit', value, `at most ${MAX_PAGE_ITEMS}`);
  return value;
}

function path(method: string, raw: Raw, field: string, minLength: number): StatePath | undefined {
  const value = raw[field];
  if (value === undefined || value === null) {
    if (minLength > 0) throw bad(method, field, value, 'a list of keys');
    return undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length < minLength ||
    value.length > MAX_PATH_KEYS ||
    !value.every(
      (s) =>
        (typeof s === 'string' && s.length <= MAX_TEXT_PARAM) ||
        (Number.isSafeInteger(s) && s >= 0),
    )
  )
    throw bad(
      method,
      field,
      value,
      `a list of ${minLength} to ${MAX_PATH_KEYS} keys (strings or indexes)`,
    );
  return value as StatePath;
}

/** Drops the keys whose value is undefined (exactOptionalPropertyTypes). */
function defined<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

function filter(raw: unknown): EventFilter {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw bad('events', 'filter', raw, 'a map of filters');
  const f = raw as Raw;
  const m = 'events: filter';
  return defined<EventFilter>({
    type: text(m, f, 'type'),
    entity: text(m, f, 'entity'),
    correlation: text(m, f, 'correlation'),
    actor: text(m, f, 'actor'),
    text: text(m, f, 'text'),
    fromTick: int(m, f, 'fromTick', 1),
    toTick: int(m, f, 'toTick', 1),
    fromSeq: int(m, f, 'fromSeq', 1),
    toSeq: int(m, f, 'toSeq', 1),
  });
}

/**
 * Checks a request's params against its method's shape and returns them typed.
 * @throws InspectorError `bad-params` naming the field and the offending value.
 */
export function checkParams<M extends MethodName>(method: M, raw: Raw): ParamsOf<M> {
  const m: MethodName = method;
  switch (m) {
    case 'summary':
    case 'follow':
    case 'unfollow':
    case 'verify':
      return {};
    case 'events':
      return defined<ParamsOf<'events'>>({
        filter: filter(raw['filter']),
        cursor: int(m, raw, 'cursor', 1),
        limit: limit(m, raw, 100),
      });
    case 'event':
    case 'patches':
      return { seq: required(m, raw, 'seq', 1) };
    case 'stateAt':
      return defined<ParamsOf<'stateAt'>>({
        seq: required(m, raw, 'seq', 0),
        path: path(m, raw, 'path', 0),
        depth: int(m, raw, 'depth', 0),
        width: int(m, raw, 'width', 1),
        offset: int(m, raw, 'offset', 0),
      });
    case 'searchState': {
      const query = text(m, raw, 'query');
      if (query === undefined) throw bad(m, 'query', undefined, 'a string to search for');
      return defined<ParamsOf<'searchState'>>({
        seq: required(m, raw, 'seq', 0),
        query,
        limit: limit(m, raw, MAX_PAGE_ITEMS),
      });
    }
    case 'diffStates':
      return defined<ParamsOf<'diffStates'>>({
        seq: required(m, raw, 'seq', 0),
        base: required(m, raw, 'base', 0),
        limit: limit(m, raw, 500),
      });
    case 'pathHistory':
      return defined<ParamsOf<'pathHistory'>>({
        path: path(m, raw, 'path', 1),
        cursor: int(m, raw, 'cursor', 1),
        limit: limit(m, raw, 100),
      });
    case 'entityHistory': {
      const entity = text(m, raw, 'entity', MAX_ENTITY_PARAM);
      if (entity === undefined) throw bad(m, 'entity', undefined, 'an entity id');
      return defined<ParamsOf<'entityHistory'>>({
        entity,
        cursor: int(m, raw, 'cursor', 1),
        limit: limit(m, raw, 100),
      });
    }
    case 'commits':
      return defined<ParamsOf<'commits'>>({
        afterTick: int(m, raw, 'afterTick', 0),
        limit: limit(m, raw, 100),
      });
    case 'compare': {
      const other = text(m, raw, 'other', 2000);
      if (other === undefined) throw bad(m, 'other', undefined, 'a store URL');
      return { other };
    }
    case 'activities':
      return defined<ParamsOf<'activities'>>({
        fromTick: int(m, raw, 'fromTick', 1),
        toTick: int(m, raw, 'toTick', 1),
      });
    case 'exportTest': {
      const fromInput = required(m, raw, 'fromInput', 1);
      const toInput = required(m, raw, 'toInput', 1);
      if (toInput < fromInput)
        throw bad(m, 'toInput', toInput, `at least fromInput (${fromInput})`);
      return defined<ParamsOf<'exportTest'>>({
        fromInput,
        toInput,
        name: text(m, raw, 'name', 200),
      });
    }
  }
}
