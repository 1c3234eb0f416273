/**
 * `@causeway/adapters`: durable stores for Causeway, chosen by URL with {@link openStore}.
 * Each store lives behind its own subpath (`/file`, `/postgres`, `/pglite`) and is loaded only
 * when its scheme is used, so an app on the file store never loads `pg`.
 *
 * @packageDocumentation
 */
import { CausewayError, ErrorCodes, MemoryStore } from '@causeway/runtime';
import type { EventStore } from '@causeway/runtime';
import { redactUrl } from './store-url.ts';

export { redactUrl };

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Open to read only (no writer lock; writes throw). */
  readonly readOnly?: boolean;
}

/** The store URL schemes {@link openStore} understands, for messages. */
export const STORE_SCHEMES = [
  'memory:',
  'memory:name',
  'file:./data',
  'postgres://user@host:5432/db?schema=name',
  'postgresql://…',
  'pglite:./data',
  'pglite:memory',
] as const;

function invalid(url: string, reason: string): CausewayError {
  const shown = redactUrl(url);
  return new CausewayError(
    ErrorCodes.InvalidStoreUrl,
    `The store URL ${JSON.stringify(shown)} ${reason}. Use one of: ${STORE_SCHEMES.join(', ')}.`,
    { url: shown, schemes: [...STORE_SCHEMES] },
  );
}

/**
 * Creates the store a URL names (not yet opened: call `open(header)` to write, `open()` to
 * read). Only the adapter of the URL's scheme is loaded.
 *
 * - `memory:` a private in-memory log; `memory:name` one shared by name within the process;
 * - `file:./data` a folder of log files (`file:///srv/data` or `file://localhost/srv/data` for an
 *   absolute one; a `file://` URL naming another host, a query or a fragment is refused);
 * - `postgres://…` or `postgresql://…` a Postgres database, the log in schema `?schema=`
 *   (default `causeway`);
 * - `pglite:./data` a PGlite directory; `pglite:memory` an in-memory PGlite.
 *
 * @example
 * ```ts
 * const store = await openStore(process.env.CAUSEWAY_STORE ?? 'file:./data');
 * await store.open(header);
 * ```
 * @throws CausewayError `CW_INVALID_STORE_URL` for a malformed URL or an unknown scheme,
 * `CW_INVALID_ARGUMENT` for a `readOnly` that is not a boolean.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (typeof url !== 'string') throw invalid(String(url), `is a ${typeof url}, not a string`);
  const readOnly: unknown = options?.readOnly ?? false;
  if (typeof readOnly !== 'boolean') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `openStore's readOnly option must be true or false, got ${JSON.stringify(readOnly) ?? String(readOnly)}.`,
      { readOnly },
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const rest = scheme === undefined ? '' : url.slice(scheme.length + 1);
  switch (scheme) {
    case 'memory':
      if (rest.startsWith('/'))
        throw invalid(url, 'is malformed: a memory store is memory: or memory:name');
      return rest === ''
        ? new MemoryStore({ readOnly })
        : new MemoryStore({ name: rest, readOnly });
    case 'file': {
      const dir = rest.startsWith('//') ? fileUrlPath(url, rest) : rest;
      if (dir === '') throw invalid(url, 'names no folder');
      const { FileStore } = await import('./file/index.ts');
      return new FileStore({ dir, readOnly });
    }
    case 'postgres':
    case 'postgresql': {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw invalid(url, 'is malformed');
      }
      if (parsed.hostname === '' && !parsed.searchParams.has('host'))
        throw invalid(url, 'names no host');
      const { openPostgresStore } = await import('./postgres/index.ts');
      return openPostgresStore(url, { readOnly });
    }
    case 'pglite': {
      if (rest === '')
        throw invalid(url, 'names no directory (use pglite:./data or pglite:memory)');
      const { openPgliteStore } = await import('./pglite/index.ts');
      return openPgliteStore(rest === 'memory' ? 'memory://' : rest, { readOnly });
    }
    default:
      throw invalid(
        url,
        scheme === undefined ? 'has no scheme' : `has the unknown scheme "${scheme}:"`,
      );
  }
}

/** The folder of a `file://…` URL, which must name this machine (no host, or `localhost`). */
function fileUrlPath(url: string, rest: string): string {
  if (rest === '//') return '';
  let parsed: URL;
  let path: string;
  try {
    parsed = new URL(url);
    path = decodeURIComponent(parsed.pathname);
  } catch {
    throw invalid(url, 'is malformed');
  }
  // `file://data` and `file://./data` parse as a host and the path `/`: a writer would
  // otherwise create its log in the root folder.
  if (parsed.host !== '' && parsed.host !== 'localhost') {
    throw invalid(
      url,
      `names the host "${parsed.host}", but a file store is a folder on this machine: write file:./data for a folder relative to the working directory, or file:///srv/data for an absolute one`,
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalid(
      url,
      'has a query or a fragment, which a file store does not read (escape a "?" or "#" of the folder\'s name as %3F or %23)',
    );
  }
  return path;
}
