/**
 * The Electron shell's decisions, kept free of Electron so that they can be unit-tested where
 * no Electron binary exists: which URLs the window may show, the content security policy, the
 * window's web preferences, and the application menu as data.
 */

/** The web preferences every inspector window is created with. */
export interface SecureWebPreferences {
  readonly preload: string;
  readonly contextIsolation: true;
  readonly nodeIntegration: false;
  readonly sandbox: true;
  readonly webSecurity: true;
  readonly allowRunningInsecureContent: false;
  readonly navigateOnDragDrop: false;
  readonly spellcheck: false;
}

/**
 * Web preferences for an inspector window: the renderer gets no Node, runs sandboxed and
 * isolated from the preload, which alone talks to the main process.
 */
export function secureWebPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    nodeIntegration: false,
    sandbox: true,
    webSecurity: true,
    allowRunningInsecureContent: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL's host is the local machine (the only place an inspector server listens by default). */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Why an address typed into "Attach to URL…" was refused. */
export interface AttachRefusal {
  readonly ok: false;
  readonly reason: string;
}

/** An address accepted for "Attach to URL…", as the page URL to load. */
export interface AttachTarget {
  readonly ok: true;
  readonly url: URL;
}

/**
 * Checks an address typed into "Attach to URL…": the URL that `attachInspector` printed
 * (`http://127.0.0.1:<port>/?token=…`). Only http on loopback is accepted unless
 * `allowRemote` is set, because the page is given the shell's preload API. A `ws:` address is
 * turned into the `http:` page of the same server.
 */
export function parseAttachAddress(
  text: string,
  options: { readonly allowRemote?: boolean } = {},
): AttachTarget | AttachRefusal {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return {
      ok: false,
      reason: `"${text}" is not a URL. Paste the address the app printed, like http://127.0.0.1:7777/?token=…`,
    };
  }
  if (url.protocol === 'ws:') url = new URL(url.href.replace(/^ws:/, 'http:'));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      reason: `"${url.protocol}" addresses cannot be attached to. Use the http:// address the app printed.`,
    };
  }
  if (!isLoopback(url) && options.allowRemote !== true) {
    return {
      ok: false,
      reason: `${url.hostname} is not this machine. The inspector attaches to 127.0.0.1 unless started with --allow-remote.`,
    };
  }
  return { ok: true, url };
}

/**
 * Whether the window may navigate to a URL: only within the origin it was opened on. Anything
 * else (a link in a payload, a redirect) is refused and may be opened in the system browser.
 */
export function mayNavigate(target: string, allowedOrigin: string): boolean {
  try {
    return new URL(target).origin === allowedOrigin;
  } catch {
    return false;
  }
}

/**
 * The content security policy of an inspector page served from `origin`: scripts and styles
 * only from that origin, WebSocket connections only back to it, no plugins, no framing.
 */
export function contentSecurityPolicy(origin: string): string {
  const url = new URL(origin);
  const socket = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${socket}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What a menu item asks the shell to do. */
export type ShellCommand =
  'open-store-folder' | 'attach-to-url' | 'reload' | 'toggle-devtools' | 'close-window' | 'quit';

/** One menu item, described as data; the main process turns it into Electron's template. */
export interface MenuItemSpec {
  readonly label: string;
  readonly command: ShellCommand;
  readonly accelerator?: string;
}

/** One top-level menu. */
export interface MenuSpec {
  readonly label: string;
  readonly items: readonly (MenuItemSpec | 'separator')[];
}

/** The application menu: open a store folder or attach to a running app, plus view commands. */
export function applicationMenu(platform: string): readonly MenuSpec[] {
  const mod = platform === 'darwin' ? 'Cmd' : 'Ctrl';
  return [
    {
      label: 'File',
      items: [
        { label: 'Open Store Folder…', command: 'open-store-folder', accelerator: `${mod}+O` },
        { label: 'Attach to URL…', command: 'attach-to-url', accelerator: `${mod}+L` },
        'separator',
        { label: 'Close Window', command: 'close-window', accelerator: `${mod}+W` },
        { label: 'Quit', command: 'quit', accelerator: `${mod}+Q` },
      ],
    },
    {
      label: 'View',
      items: [
        { label: 'Reload', command: 'reload', accelerator: `${mod}+R` },
        { label: 'Developer Tools', command: 'toggle-devtools', accelerator: `${mod}+Alt+I` },
      ],
    },
  ];
}

/** The store URL for a folder chosen in "Open Store Folder…". */
export function storeUrlForFolder(folder: string): string {
  return `file:${folder}`;
}
