/** What the shell shows first, from its command line. */
export type StartupTarget =
  | { readonly kind: 'welcome' }
  | { readonly kind: 'store'; readonly url: string }
  | { readonly kind: 'attach'; readonly url: string };

const STORE_SCHEMES = ['file:', 'pglite:', 'postgres:', 'postgresql:', 'memory:'];

/**
 * Reads the shell's arguments (after the executable and app path): a store URL opens that store
 * (`file:./data`, `postgres://…`), an `http://` address attaches to a running app, a bare path
 * is taken as a file store folder; switches (`--allow-remote`) are skipped.
 */
export function startupTarget(args: readonly string[]): StartupTarget {
  const first = args.find((a) => !a.startsWith('--'));
  if (first === undefined || first === '') return { kind: 'welcome' };
  if (first.startsWith('http://') || first.startsWith('https://') || first.startsWith('ws://')) {
    return { kind: 'attach', url: first };
  }
  if (STORE_SCHEMES.some((scheme) => first.startsWith(scheme)))
    return { kind: 'store', url: first };
  return { kind: 'store', url: `file:${first}` };
}
