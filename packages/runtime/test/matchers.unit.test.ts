import { describe, expect, it } from 'vitest';
import { CausewayError, ErrorCodes } from '../src/index.ts';
import { causewayMatchers } from '../src/testing/index.ts';

const readOnly = new CausewayError(ErrorCodes.StoreReadOnly, 'The store memory: is read-only.');

describe('toBeCausewayError', () => {
  it('passes for a Causeway error with the code', () => {
    const result = causewayMatchers.toBeCausewayError(readOnly, ErrorCodes.StoreReadOnly);

    expect(result.pass).toBe(true);
  });

  it('fails for another code, naming both codes', () => {
    const result = causewayMatchers.toBeCausewayError(readOnly, ErrorCodes.InvalidArgument);

    expect(result.pass).toBe(false);
    expect(result.message()).toContain('CW_INVALID_ARGUMENT');
    expect(result.message()).toContain('CW_STORE_READ_ONLY');
  });

  it('fails for a plain error, showing it', () => {
    const result = causewayMatchers.toBeCausewayError(new TypeError('boom'), ErrorCodes.LogEmpty);

    expect(result.pass).toBe(false);
    expect(result.message()).toContain('TypeError: boom');
  });

  it('calls a function and matches what it throws', () => {
    const result = causewayMatchers.toBeCausewayError(() => {
      throw readOnly;
    }, ErrorCodes.StoreReadOnly);

    expect(result.pass).toBe(true);
  });

  it('fails for a function that does not throw', () => {
    const result = causewayMatchers.toBeCausewayError(() => 1, ErrorCodes.StoreReadOnly);

    expect(result.pass).toBe(false);
    expect(result.message()).toContain('did not throw');
  });

  it('refuses a function that returns a Promise, pointing to rejects, and leaves no unhandled rejection', async () => {
    let settled = false;
    const rejecting = (): Promise<never> =>
      Promise.reject(readOnly).finally(() => {
        settled = true;
      });

    const error = (() => {
      try {
        causewayMatchers.toBeCausewayError(rejecting, ErrorCodes.StoreReadOnly);
        return null;
      } catch (e) {
        return e;
      }
    })();
    await Promise.resolve();

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect((error as Error).message).toContain('rejects.toBeCausewayError');
    expect(settled).toBe(true);
  });

  it('is registered for the repository tests, rejections included', async () => {
    await expect(Promise.reject(readOnly)).rejects.toBeCausewayError(ErrorCodes.StoreReadOnly);
    await expect(Promise.reject(readOnly)).rejects.not.toBeCausewayError(ErrorCodes.StoreClosed);
  });
});
