import { NondeterminismError } from '../errors/index.ts';
import type { RunGuard } from '../loop/core.ts';

/** One nondeterministic call caught by strict mode, whether or not the caller caught the error. */
export interface StrictViolation {
  /** The API that was called, e.g. `Math.random()`. */
  readonly api: string;
  /** The listener or applier that called it. */
  readonly where: string;
}

// Captured when this module loads, before any guard patches it.
const OriginalDate = Date;

/** Where the guarded code runs: innermost last. Shared by every guard of the process. */
const stack: string[] = [];
/** How to put back what `patch` replaced; empty while nothing is patched. */
let restorers: (() => void)[] = [];
// null: no process-wide override; each system follows its mode (on in development).
let defaultStrict: boolean | null = null;
let violationObservers: ((violation: StrictViolation) => void)[] = [];
// Every violation counts, caught or not, so the loop can tell that a listener swallowed one.
let violationCount = 0;
let lastViolation: StrictViolation | null = null;

function describe(where: string): string {
  return where.startsWith('the ') ? where : `Listener "${where}"`;
}

function violation(api: string): NondeterminismError {
  const where = stack.at(-1) ?? 'Code under strict mode';
  violationCount++;
  lastViolation = { api, where };
  for (const observe of violationObservers) observe({ api, where });
  return new NondeterminismError(api, describe(where));
}

/** Replaces `owner[key]` by `value` and remembers how to restore it exactly. */
function replace(owner: object, key: string, value: unknown): void {
  const own = Object.getOwnPropertyDescriptor(owner, key);
  Object.defineProperty(owner, key, { value, writable: true, configurable: true });
  restorers.push(() => {
    if (own === undefined) delete (owner as Record<string, unknown>)[key];
    else Object.defineProperty(owner, key, own);
  });
}

// `Date` itself is swapped for a proxy so that `new Date()` and `Date()` throw while
// `new Date(ms)` and `instanceof Date` keep working; `Date.now` is patched on the original too,
// for code that captured `Date` before strict mode started.
const StrictDate: DateConstructor = new Proxy(OriginalDate, {
  construct(target, args, newTarget): object {
    if (args.length === 0) throw violation('new Date()');
    return Reflect.construct(
      target,
      args,
      newTarget === StrictDate ? target : (newTarget as typeof Date),
    ) as object;
  },
  apply() {
    throw violation('Date()');
  },
});

// `Intl.DateTimeFormat`'s `format()` and `formatToParts()` read the wall clock when called
// without a date. `format` is a getter on the prototype, and redefining that getter costs tens
// of microseconds (it is patched once per tick), so the constructor is swapped for a proxy that
// gives each formatter made under strict mode its own checked `format`; `formatToParts` is a
// plain method, patched on the prototype for every formatter.
const OriginalDateTimeFormat = (globalThis as { Intl?: typeof Intl }).Intl?.DateTimeFormat;

function checkedFormatter(formatter: Intl.DateTimeFormat): Intl.DateTimeFormat {
  // The `format` getter returns a function bound to its formatter.
  const format: (date?: Date | number) => string = Reflect.get(formatter, 'format');
  Object.defineProperty(formatter, 'format', {
    value: (date?: Date | number): string => {
      if (date === undefined) throw violation('Intl.DateTimeFormat().format() without a date');
      return format(date);
    },
    configurable: true,
  });
  return formatter;
}

const StrictDateTimeFormat =
  OriginalDateTimeFormat === undefined
    ? undefined
    : new Proxy(OriginalDateTimeFormat, {
        construct(target, args, newTarget): object {
          return checkedFormatter(
            Reflect.construct(
              target,
              args,
              newTarget === StrictDateTimeFormat ? target : (newTarget as typeof target),
            ) as Intl.DateTimeFormat,
          );
        },
        apply(target, thisArg, args): unknown {
          return checkedFormatter(Reflect.apply(target, thisArg, args) as Intl.DateTimeFormat);
        },
      });

function patchIntl(): void {
  const intl = (globalThis as { Intl?: typeof Intl }).Intl;
  if (intl === undefined || OriginalDateTimeFormat === undefined) return;
  replace(intl, 'DateTimeFormat', StrictDateTimeFormat);
  const proto = OriginalDateTimeFormat.prototype;
  const formatToParts: (
    this: Intl.DateTimeFormat,
    date?: Date | number,
  ) => Intl.DateTimeFormatPart[] = Reflect.get(proto, 'formatToParts');
  replace(
    proto,
    'formatToParts',
    function strictFormatToParts(this: Intl.DateTimeFormat, date?: Date | number) {
      if (date === undefined)
        throw violation('Intl.DateTimeFormat().formatToParts() without a date');
      return formatToParts.call(this, date);
    },
  );
}

// `process.hrtime()` and `process.hrtime.bigint()`, where a `process` global exists (Node); the
// runtime never imports it.
function patchHrtime(): void {
  const proc = (globalThis as { process?: { hrtime?: unknown } }).process;
  if (proc === undefined || typeof proc.hrtime !== 'function') return;
  const hrtime = (): never => {
    throw violation('process.hrtime()');
  };
  hrtime.bigint = (): never => {
    throw violation('process.hrtime.bigint()');
  };
  replace(proc, 'hrtime', hrtime);
}

function patch(): void {
  const g = globalThis as Record<string, unknown>;
  replace(g, 'Date', StrictDate);
  replace(OriginalDate, 'now', () => {
    throw violation('Date.now()');
  });
  replace(Math, 'random', () => {
    throw violation('Math.random()');
  });
  const perf = g['performance'] as object | undefined;
  if (perf !== undefined) {
    replace(perf, 'now', () => {
      throw violation('performance.now()');
    });
  }
  const crypto = g['crypto'] as object | undefined;
  if (crypto !== undefined) {
    replace(crypto, 'randomUUID', () => {
      throw violation('crypto.randomUUID()');
    });
    replace(crypto, 'getRandomValues', () => {
      throw violation('crypto.getRandomValues()');
    });
  }
  patchHrtime();
  patchIntl();
}

function unpatch(): void {
  const undo = restorers;
  restorers = [];
  for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
}

/**
 * The strict-mode guard: while a listener or applier runs, the process's sources of wall time
 * and randomness (`Date.now`, `new Date()`, `Date()`, `Math.random`, `performance.now`,
 * `crypto.randomUUID`, `crypto.getRandomValues`, `process.hrtime()`, `process.hrtime.bigint()`,
 * and `Intl.DateTimeFormat`'s `format()` and `formatToParts()` without a date) throw
 * {@link NondeterminismError} naming it.
 * They are restored when the run exits, whatever happened, so code outside the loop (the driver's
 * clock, the activities meta log, the test runner) is never affected.
 *
 * Guards nest: the globals are patched on the outermost enter and restored on the matching exit;
 * an error names the innermost listener. Only the globals are guarded: a listener that imports
 * `node:crypto` itself, or keeps state outside the system, is caught by replay checks instead.
 */
export const strictGuard: RunGuard = {
  enter(where: string): void {
    if (stack.length === 0) {
      try {
        patch();
      } catch (err) {
        unpatch();
        throw err;
      }
    }
    stack.push(where);
  },
  exit(): void {
    stack.pop();
    if (stack.length === 0) unpatch();
  },
};

/**
 * Wraps `inner` in strict mode: strict mode is entered first and left last, so `inner` runs
 * guarded too.
 */
export function strictly(inner: RunGuard | null): RunGuard {
  if (inner === null) return strictGuard;
  return {
    enter(where: string): void {
      strictGuard.enter(where);
      try {
        inner.enter(where);
      } catch (err) {
        strictGuard.exit();
        throw err;
      }
    },
    exit(): void {
      try {
        inner.exit();
      } finally {
        strictGuard.exit();
      }
    },
  };
}

/**
 * Whether an `EventSystem` runs in strict mode: its `strict` option when given; else the
 * process-wide default when one is set ({@link setStrictByDefault}); else `byMode` (on in
 * development, off in production).
 */
export function isStrictFor(strict: boolean | undefined, byMode: boolean): boolean {
  return strict ?? defaultStrict ?? byMode;
}

/** The guard an `EventSystem` runs with: strict mode wrapped around `guard` when `strict`. */
export function strictGuardFor(strict: boolean, guard: RunGuard | null): RunGuard | null {
  return strict ? strictly(guard) : guard;
}

/**
 * How many strict-mode violations the process has seen, and the last one: the loop compares
 * the count around a listener run to see a violation the listener caught itself.
 */
export function strictViolations(): {
  readonly count: number;
  readonly last: StrictViolation | null;
} {
  return { count: violationCount, last: lastViolation };
}

/**
 * Turns strict mode on (or off) for every `EventSystem` created afterwards without an explicit
 * `strict` option, whatever its mode. The testing kit turns it on while it checks a system.
 * Returns a function that puts back the previous default.
 */
export function setStrictByDefault(on: boolean): () => void {
  const previous = defaultStrict;
  defaultStrict = on;
  return () => {
    defaultStrict = previous;
  };
}

/**
 * Calls `observer` with every strict-mode violation, including those whose error the listener
 * caught and swallowed. Returns a function that stops observing.
 */
export function observeStrictViolations(
  observer: (violation: StrictViolation) => void,
): () => void {
  violationObservers = [...violationObservers, observer];
  return () => {
    violationObservers = violationObservers.filter((o) => o !== observer);
  };
}

/** True while a guarded listener or applier runs (the globals are patched). */
export function isStrictActive(): boolean {
  return stack.length > 0;
}
