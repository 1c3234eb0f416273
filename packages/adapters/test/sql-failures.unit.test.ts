import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import { writeFailure } from '../src/sql/failures.ts';

/**
 * A real `write EPIPE` from the operating system: writes into a Unix socket whose peer has
 * closed it, as a client's writes after the database killed its backend.
 */
async function epipe(): Promise<Error> {
  const path = join(await mkdtemp(join(tmpdir(), 'causeway-epipe-')), 'socket');
  const server = createServer((peer) => peer.destroy());
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const socket = connect(path);
    return await new Promise<Error>((resolve) => {
      socket.on('error', resolve);
      const write = (): void => {
        if (!socket.destroyed) socket.write(new Uint8Array(64 * 1024), () => setImmediate(write));
      };
      socket.on('connect', write);
    });
  } finally {
    server.close();
    await rm(dirname(path), { recursive: true, force: true });
  }
}

describe('writeFailure', () => {
  it('reports a write EPIPE during a commit as a lost connection whose tick will be retried', async () => {
    const cause = await epipe();

    const error = writeFailure(
      'postgres://db',
      'Commit of tick 7',
      cause,
      'The tick will be retried.',
    );

    expect((cause as NodeJS.ErrnoException).code).toBe('EPIPE');
    expect(isCausewayError(error, ErrorCodes.StoreUnavailable)).toBe(true);
    expect(error.message).toContain('the connection to the database was lost (write EPIPE)');
    expect(error.message).toContain('The tick will be retried.');
    expect(error.message).not.toContain("database's log");
    expect(error.details).toMatchObject({ connectionLost: true, sqlState: undefined });
  });

  it('reports a failure with a SQLSTATE as a failure in the database', () => {
    const cause = Object.assign(new Error('division by zero'), { code: '22012' });

    const error = writeFailure('postgres://db', 'Commit of tick 7', cause);

    expect(error.message).toContain('failed in the database (division by zero)');
    expect(error.details).toMatchObject({ connectionLost: false, sqlState: '22012' });
  });
});
