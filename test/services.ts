/**
 * Reachability checks for the services that integration tests use (Postgres, NATS).
 *
 * Where a service is unreachable, a test file skips itself and says so in one loud line —
 * except in CI (`CI=true`), where an unreachable service is a failure, not a skip.
 *
 * @example
 * ```ts
 * const postgres = await requirePostgres();
 * describe.skipIf(!postgres.available)('postgres store', () => { … });
 * ```
 */
import pg from 'pg';

/** What a test file learns about one service. */
export interface ServiceCheck {
  /** True when the service answered. */
  readonly available: boolean;
  /** The address it was looked for at (password redacted). */
  readonly where: string;
}

/** The Postgres URL integration tests use: `CAUSEWAY_PG_URL`, else the local `test` database. */
export function pgUrl(): string {
  return process.env['CAUSEWAY_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** `url` with its password replaced by `***`. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/**
 * Probes a service once, with a time limit. Unreachable: in CI it throws (so the test file
 * fails); elsewhere it prints one `SKIPPED:` line and reports the service unavailable.
 */
export async function requireService(
  name: string,
  where: string,
  probe: () => Promise<void>,
  timeoutMs = 5000,
): Promise<ServiceCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { available: true, where };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (process.env['CI'] === 'true') {
      throw new Error(`${name} at ${where} is unreachable in CI, where it is required: ${reason}`);
    }
    console.warn(
      `SKIPPED: ${name} at ${where} is unreachable: ${reason}. Start it to run these tests.`,
    );
    return { available: false, where };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks that Postgres at {@link pgUrl} answers `select 1`. */
export function requirePostgres(url: string = pgUrl()): Promise<ServiceCheck> {
  return requireService('Postgres', redact(url), async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 4000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

/** The NATS URL integration tests use: `CAUSEWAY_NATS_URL`, else the local server. */
export function natsUrl(): string {
  return process.env['CAUSEWAY_NATS_URL'] ?? 'nats://127.0.0.1:4222';
}

/** Checks that NATS at {@link natsUrl} answers and has JetStream enabled. */
export function requireNats(url: string = natsUrl()): Promise<ServiceCheck> {
  return requireService('NATS with JetStream', redact(url), async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: url, timeout: 4000, reconnect: false });
    try {
      await jetstreamManager(nc);
    } finally {
      await nc.close();
    }
  });
}
