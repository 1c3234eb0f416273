import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import type { ErrorCode } from '../errors/index.ts';

/** What a matcher returns to `expect` (the shape Vitest and Jest share). */
export interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/**
 * The matchers {@link causewayMatchers} adds, for a test runner's `Matchers` interface:
 *
 * ```ts
 * declare module 'vitest' {
 *   interface Matchers<T = any> extends CausewayMatchers<T> {}
 * }
 * ```
 */
export interface CausewayMatchers<R = unknown> {
  /**
   * Passes when the value is a Causeway error with `code`: a thrown or rejected error
   * (`await expect(p).rejects.toBeCausewayError(code)`), or a function that throws one when
   * called (`expect(() => f()).toBeCausewayError(code)`). A function that returns a Promise is
   * refused with `CW_INVALID_ARGUMENT`: pass the promise to `rejects`.
   */
  toBeCausewayError(code: ErrorCode): R;
}

function describeValue(value: unknown): string {
  if (isCausewayError(value)) return `${value.name} ${value.code}: ${value.message}`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'function') return 'a function that did not throw';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Expect matchers for Causeway's errors, for `expect.extend(causewayMatchers)` in Vitest or
 * Jest. Matching on the code, not the message, keeps rejection tests stable when messages are
 * reworded.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * import { causewayMatchers } from '@causeway/runtime/testing';
 * expect.extend(causewayMatchers);
 * await expect(store.commit(commit, events)).rejects.toBeCausewayError('CW_STORE_READ_ONLY');
 * ```
 */
export const causewayMatchers = {
  toBeCausewayError(received: unknown, code: ErrorCode): MatcherResult {
    let error = received;
    if (typeof received === 'function') {
      let returned: unknown;
      try {
        returned = (received as () => unknown)();
      } catch (thrown) {
        error = thrown;
      }
      if (typeof (returned as { then?: unknown } | null)?.then === 'function') {
        // The matcher cannot wait for it: keep its rejection from going unhandled, and say so
        // rather than report "did not throw" (or pass under `.not`).
        (returned as Promise<unknown>).then(undefined, () => undefined);
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `toBeCausewayError(${code}) got a function that returned a Promise, which a matcher cannot wait for. Pass the promise to rejects instead: await expect(promise).rejects.toBeCausewayError(${code}).`,
          { argument: 'received' },
        );
      }
    }
    const pass = isCausewayError(error, code);
    return {
      pass,
      message: () =>
        pass
          ? `expected something other than a Causeway error with code ${code}, got ${describeValue(error)}`
          : `expected a Causeway error with code ${code}, got ${describeValue(error)}`,
    };
  },
};
