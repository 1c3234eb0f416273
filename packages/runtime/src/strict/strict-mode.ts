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
let defaultStrict = false;
let violationObservers: ((violation: StrictViolation) => void)[] = [];

function describe(where: string): string {
  return where.startsWith('the ') ? where : `Listener "${where}"`;
}

function violation(api: string): NondeterminismError {
  const where = stack.at(-1) ?? 'Code under strict mode';
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
}

function unpatch(): void {
  const undo = restorers;
  restorers = [];
  for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
}

/**
 * The strict-mode guard: while a listener or applier runs, the process's sources of wall time
 * and randomness (`Date.now`, `new Date()`, `Date()`, `Math.random`, `performance.now`,
 * `crypto.randomUUID`, `crypto.getRandomValues`) throw {@link NondeterminismError} naming it.
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
 * The guard an `EventSystem` runs with: strict mode when `strict` is true, or when it is left
 * undefined while the process-wide default is on ({@link setStrictByDefault}).
 */
export function strictGuardFor(
  strict: boolean | undefined,
  guard: RunGuard | null,
): RunGuard | null {
  return (strict ?? defaultStrict) ? strictly(guard) : guard;
}

/**
 * Turns strict mode on (or off) for every `EventSystem` created afterwards without an explicit
 * `strict` option. The testing kit turns it on while it checks a system. Returns a function that
 * puts back the previous default.
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
