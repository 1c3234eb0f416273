import { describe, expect, it } from 'vitest';
import { ShellController, type ShellServices } from '../src/electron/shell-controller.ts';
import {
  applicationMenu,
  contentSecurityPolicy,
  mayNavigate,
  parseAttachAddress,
  secureWebPreferences,
} from '../src/electron/shell-policy.ts';
import { compareTargets, startupTarget } from '../src/electron/startup.ts';

// Electron itself cannot run here; the shell's decisions live outside it and are tested here,
// with a recording stand-in for the window (the only Electron object the controller touches).
function harness(overrides: Partial<ShellServices> = {}) {
  const loaded: string[] = [];
  const errors: string[] = [];
  const closed: string[] = [];
  let served = 0;
  const services: ShellServices = {
    window: {
      load: (url) => {
        loaded.push(url);
        return Promise.resolve();
      },
      showError: (title, message) => errors.push(`${title}: ${message}`),
    },
    openStore: (storeUrl) => {
      served++;
      const url = `http://127.0.0.1:${7000 + served}/?token=t${served}`;
      return Promise.resolve({
        url,
        close: () => {
          closed.push(storeUrl);
          return Promise.resolve();
        },
      });
    },
    chooseFolder: () => Promise.resolve('/data/arena'),
    welcomeUrl: 'file:///app/dist-ui/index.html',
    allowRemote: false,
    ...overrides,
  };
  return { controller: new ShellController(services), loaded, errors, closed };
}

describe('the window is locked down', () => {
  it('runs the page isolated, sandboxed and without Node', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    });
  });

  it('allows scripts and sockets only from the page origin', () => {
    const policy = contentSecurityPolicy('http://127.0.0.1:7001');
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self' ws://127.0.0.1:7001");
    expect(policy).toContain("object-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('lets the page navigate only within its origin', () => {
    expect(mayNavigate('http://127.0.0.1:7001/?token=x#seq=4', 'http://127.0.0.1:7001')).toBe(true);
    expect(mayNavigate('https://example.com/', 'http://127.0.0.1:7001')).toBe(false);
    expect(mayNavigate('not a url', 'http://127.0.0.1:7001')).toBe(false);
  });
});

describe('attach addresses', () => {
  it('accepts the loopback address an app printed', () => {
    const target = parseAttachAddress(' http://127.0.0.1:7001/?token=abc ');
    expect(target.ok && target.url.href).toBe('http://127.0.0.1:7001/?token=abc');
  });

  it('turns a ws: address into the page of the same server', () => {
    const target = parseAttachAddress('ws://localhost:7001/ws?token=abc');
    expect(target.ok && target.url.protocol).toBe('http:');
  });

  it('refuses another machine unless remote attach was allowed', () => {
    const refused = parseAttachAddress('http://10.0.0.5:7001/?token=abc');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toContain('10.0.0.5 is not this machine');
    expect(parseAttachAddress('http://10.0.0.5:7001/', { allowRemote: true }).ok).toBe(true);
  });

  it('refuses text that is not a URL, quoting it', () => {
    const refused = parseAttachAddress('localhost 7001');
    expect(!refused.ok && refused.reason).toContain('"localhost 7001" is not a URL');
  });

  it('refuses schemes that cannot serve the inspector', () => {
    expect(parseAttachAddress('file:///etc/passwd').ok).toBe(false);
  });
});

describe('the shell controller', () => {
  it('serves a chosen folder as a file store and shows its page', async () => {
    const { controller, loaded } = harness();
    await controller.openStoreFolder();
    expect(loaded).toEqual(['http://127.0.0.1:7001/?token=t1']);
    expect(controller.allowedOrigin).toBe('http://127.0.0.1:7001');
  });

  it('does nothing when the folder picker is cancelled', async () => {
    const { controller, loaded } = harness({ chooseFolder: () => Promise.resolve(null) });
    await controller.openStoreFolder();
    expect(loaded).toEqual([]);
  });

  it('closes the previous store server when another store is opened', async () => {
    const { controller, closed } = harness();
    await controller.openStore('file:/a');
    await controller.openStore('file:/b');
    expect(closed).toEqual(['file:/a']);
  });

  it('shows why a store cannot be opened and keeps the window where it was', async () => {
    const { controller, loaded, errors } = harness({
      openStore: () => Promise.reject(new Error('CW_STORE_LOCKED: held by pid 42')),
    });
    await controller.openStore('file:/locked');
    expect(errors).toEqual(['Cannot open the store: CW_STORE_LOCKED: held by pid 42']);
    expect(loaded).toEqual([]);
  });

  it('rejects a refused attach address with the reason, for the page to show', async () => {
    const { controller } = harness();
    await expect(controller.attach('http://192.168.1.9:7001/')).rejects.toThrow(/not this machine/);
  });

  it('sets a content security policy only on responses from the current origin', async () => {
    const { controller } = harness();
    expect(controller.policyFor('http://127.0.0.1:7001/')).toBeNull();
    await controller.attach('http://127.0.0.1:7001/?token=x');
    expect(controller.policyFor('http://127.0.0.1:7001/assets/index.js')).toContain(
      "default-src 'none'",
    );
    expect(controller.policyFor('https://example.com/')).toBeNull();
  });

  it('may go back to the welcome page, which focuses the attach field', async () => {
    const { controller, loaded } = harness();
    await controller.showWelcome(true);
    expect(loaded).toEqual(['file:///app/dist-ui/index.html#attach']);
    expect(controller.mayNavigate('file:///app/dist-ui/index.html')).toBe(true);
    expect(controller.mayNavigate('file:///etc/passwd')).toBe(false);
  });
});

describe('menus and command line', () => {
  it('offers opening a store folder and attaching to a URL, with platform shortcuts', () => {
    const file = applicationMenu('darwin')[0];
    expect(file?.items).toContainEqual({
      label: 'Open Store Folder…',
      command: 'open-store-folder',
      accelerator: 'Cmd+O',
    });
    expect(applicationMenu('linux')[0]?.items).toContainEqual({
      label: 'Attach to URL…',
      command: 'attach-to-url',
      accelerator: 'Ctrl+L',
    });
  });

  it('opens a store URL, attaches to an http address, and takes a bare path as a folder', () => {
    expect(startupTarget(['postgres://localhost/test'])).toEqual({
      kind: 'store',
      url: 'postgres://localhost/test',
    });
    expect(startupTarget(['--allow-remote', 'http://127.0.0.1:1/?token=a'])).toEqual({
      kind: 'attach',
      url: 'http://127.0.0.1:1/?token=a',
    });
    expect(startupTarget(['./data'])).toEqual({ kind: 'store', url: 'file:./data' });
    expect(startupTarget([])).toEqual({ kind: 'welcome' });
  });

  it('takes each --compare value as a store comparisons may use, never as the store to open', () => {
    const args = ['--compare', './other', '--compare=postgres://localhost/test', 'file:./data'];
    expect(startupTarget(args)).toEqual({ kind: 'store', url: 'file:./data' });
    expect(compareTargets(args)).toEqual(['file:./other', 'postgres://localhost/test']);
    expect(compareTargets(['file:./data'])).toEqual([]);
  });
});
