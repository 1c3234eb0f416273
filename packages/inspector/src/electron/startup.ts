/** What the shell shows first, from its command line. */
export type StartupTarget =
  | { readonly kind: 'welcome' }
  | { readonly kind: 'store'; readonly url: string }
  | { readonly kind: 'attach'; readonly url: string };

const STORE_SCHEMES = ['file:', 'pglite:', 'postgres:', 'postgresql:', 'memory:'];

/**
 * Reads the shell's arguments (after the executable and app path): a store URL opens that store
 * (`file:./data`, `postgres://…`), an `http://` address attaches to a running app, a bare path
 * is taken as a file store folder; switches (`--allow-remote`, `--compare <store-url>`) are
 * skipped.
 */
export function startupTarget(args: readonly string[]): StartupTarget {
  const first = operands(args)[0];
  if (first === undefined || first === '') return { kind: 'welcome' };
  if (first.startsWith('http://') || first.startsWith('https://') || first.startsWith('ws://')) {
    return { kind: 'attach', url: first };
  }
  return { kind: 'store', url: storeUrl(first) };
}

/**
 * The stores a store opened by the shell may be compared with: the value of each
 * `--compare <store-url>` (or `--compare=<store-url>`), a bare path taken as a file store
 * folder, as `causeway-inspector open` takes them. No other store can be compared with.
 */
export function compareTargets(args: readonly string[]): string[] {
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('--compare=')) urls.push(storeUrl(arg.slice('--compare='.length)));
    else if (arg === '--compare' && args[i + 1] !== undefined)
      urls.push(storeUrl(args[++i] as string));
  }
  return urls;
}

/** The arguments that are not switches nor the value of `--compare`. */
function operands(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--compare') i++;
    else if (!arg.startsWith('--')) found.push(arg);
  }
  return found;
}

function storeUrl(text: string): string {
  return STORE_SCHEMES.some((scheme) => text.startsWith(scheme)) ? text : `file:${text}`;
}
