// The Electron shell's main process: one window showing the inspector's web UI, menus to open a
// store folder or attach to a running app, and the security settings of the window.
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  shell,
  type MenuItemConstructorOptions,
} from 'electron';
import { openStore } from '@causeway/adapters';
import { openInspector } from '../agent/index.ts';
import { ShellChannels } from './bridge.ts';
import { ShellController, type ShellStoreServer } from './shell-controller.ts';
import { applicationMenu, secureWebPreferences, type ShellCommand } from './shell-policy.ts';
import { compareTargets, startupTarget } from './startup.ts';

// Both paths are relative to the bundled main script (dist-electron/main.mjs), see
// electron-builder.json.
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const welcomeUrl = pathToFileURL(
  fileURLToPath(new URL('../dist-ui/index.html', import.meta.url)),
).href;

// The stores the command line allows comparisons with (`--compare <store-url>`, repeatable).
const compareWith = compareTargets(process.argv.slice(app.isPackaged ? 1 : 2));

async function serveStore(storeUrl: string): Promise<ShellStoreServer> {
  const store = await openStore(storeUrl, { readOnly: true });
  const inspector = await openInspector(store, { print: () => undefined, compareWith });
  return {
    url: inspector.url,
    close: async () => {
      await inspector.close();
      await store.close();
    },
  };
}

function createWindow(allowRemote: boolean): {
  window: BrowserWindow;
  controller: ShellController;
} {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 560,
    title: 'Causeway Inspector',
    backgroundColor: '#0f1115',
    show: false,
    webPreferences: secureWebPreferences(preloadPath),
  });
  const controller = new ShellController({
    window: {
      load: (url) => window.loadURL(url),
      showError: (title, message) => dialog.showErrorBox(title, message),
    },
    openStore: serveStore,
    chooseFolder: async () => {
      const chosen = await dialog.showOpenDialog(window, {
        title: 'Open a Causeway store folder',
        properties: ['openDirectory'],
      });
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    },
    welcomeUrl,
    allowRemote,
  });
  const contents = window.webContents;
  // Pages never open windows or leave the origin they were opened on; links go to the browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://') || url.startsWith('http://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!controller.mayNavigate(url)) event.preventDefault();
  });
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  contents.session.webRequest.onHeadersReceived((details, callback) => {
    const policy = controller.policyFor(details.url);
    if (policy === null) {
      callback({
        ...(details.responseHeaders === undefined
          ? {}
          : { responseHeaders: details.responseHeaders }),
      });
      return;
    }
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    });
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => void controller.close());
  return { window, controller };
}

function menuTemplate(run: (command: ShellCommand) => void): MenuItemConstructorOptions[] {
  return applicationMenu(process.platform).map((menu) => ({
    label: menu.label,
    submenu: menu.items.map((item): MenuItemConstructorOptions =>
      item === 'separator'
        ? { type: 'separator' }
        : {
            label: item.label,
            ...(item.accelerator === undefined ? {} : { accelerator: item.accelerator }),
            click: () => run(item.command),
          },
    ),
  }));
}

async function main(): Promise<void> {
  await app.whenReady();
  const allowRemote = app.commandLine.hasSwitch('allow-remote');
  const { window, controller } = createWindow(allowRemote);
  const report = (error: unknown): void =>
    dialog.showErrorBox(
      'Causeway Inspector',
      error instanceof Error ? error.message : String(error),
    );
  const run = (command: ShellCommand): void => {
    switch (command) {
      case 'open-store-folder':
        controller.openStoreFolder().catch(report);
        return;
      case 'attach-to-url':
        controller.showWelcome(true).catch(report);
        return;
      case 'reload':
        window.webContents.reload();
        return;
      case 'toggle-devtools':
        window.webContents.toggleDevTools();
        return;
      case 'close-window':
        window.close();
        return;
      case 'quit':
        app.quit();
        return;
    }
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(run)));
  // Only the window's own page may call the bridge: a frame from elsewhere gets a refusal.
  const fromWindow = (sender: { getURL(): string }): boolean =>
    controller.mayNavigate(sender.getURL());
  ipcMain.handle(ShellChannels.openStoreFolder, async (event) => {
    if (!fromWindow(event.sender))
      throw new Error('Refused: the request did not come from the inspector page.');
    await controller.openStoreFolder();
  });
  ipcMain.handle(ShellChannels.attach, async (event, address) => {
    if (!fromWindow(event.sender))
      throw new Error('Refused: the request did not come from the inspector page.');
    if (typeof address !== 'string') throw new Error('attach() takes the address as a string.');
    await controller.attach(address);
  });
  ipcMain.handle(ShellChannels.version, () => app.getVersion());
  app.on('window-all-closed', () => app.quit());

  const target = startupTarget(process.argv.slice(app.isPackaged ? 1 : 2));
  if (target.kind === 'store') await controller.openStore(target.url);
  else if (target.kind === 'attach')
    await controller.attach(target.url).catch(async (error: unknown) => {
      report(error);
      await controller.showWelcome();
    });
  else await controller.showWelcome();
}

main().catch((error: unknown) => {
  dialog.showErrorBox(
    'Causeway Inspector could not start',
    error instanceof Error ? error.message : String(error),
  );
  app.quit();
});
