/**
 * Registered for every test project (vitest.config.ts, `setupFiles`): the testing kit's
 * matchers, so that rejection tests say `rejects.toBeCausewayError(code)`.
 */
import { expect } from 'vitest';
import { causewayMatchers, type CausewayMatchers } from '@causeway/runtime/testing';

expect.extend(causewayMatchers);

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends CausewayMatchers<T> {}
}
