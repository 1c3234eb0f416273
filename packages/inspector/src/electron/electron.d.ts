// The part of Electron's API the shell uses, declared here because the `electron` package
// downloads a binary when installed and none can be downloaded where this is built. The names
// and signatures follow Electron's own declarations; where Electron is installed, its types
// describe the same calls.
declare module 'electron' {
  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    nodeIntegration?: boolean;
    sandbox?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    navigateOnDragDrop?: boolean;
    spellcheck?: boolean;
  }

  interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    title?: string;
    backgroundColor?: string;
    show?: boolean;
    webPreferences?: WebPreferences;
  }

  interface Event {
    preventDefault(): void;
  }

  type WindowOpenHandlerResponse = { action: 'deny' } | { action: 'allow' };

  interface OnHeadersReceivedListenerDetails {
    url: string;
    responseHeaders?: Record<string, string[]>;
  }

  interface HeadersReceivedResponse {
    responseHeaders?: Record<string, string[] | string>;
    cancel?: boolean;
  }

  interface WebRequest {
    onHeadersReceived(
      listener: (
        details: OnHeadersReceivedListenerDetails,
        callback: (response: HeadersReceivedResponse) => void,
      ) => void,
    ): void;
  }

  interface Session {
    readonly webRequest: WebRequest;
    setPermissionRequestHandler(
      handler: (
        webContents: WebContents,
        permission: string,
        callback: (granted: boolean) => void,
      ) => void,
    ): void;
  }

  interface WebContents {
    readonly session: Session;
    on(event: 'will-navigate', listener: (event: Event, url: string) => void): this;
    on(event: 'did-finish-load', listener: () => void): this;
    setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenHandlerResponse): void;
    getURL(): string;
    reload(): void;
    toggleDevTools(): void;
    executeJavaScript(code: string): Promise<unknown>;
  }

  class BrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions);
    readonly webContents: WebContents;
    loadURL(url: string): Promise<void>;
    loadFile(path: string, options?: { hash?: string; search?: string }): Promise<void>;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
    show(): void;
    close(): void;
    static getFocusedWindow(): BrowserWindow | null;
  }

  interface MenuItemConstructorOptions {
    label?: string;
    accelerator?: string;
    type?: 'normal' | 'separator' | 'submenu';
    click?: () => void;
    submenu?: MenuItemConstructorOptions[];
  }

  class Menu {
    static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
    static setApplicationMenu(menu: Menu | null): void;
  }

  interface OpenDialogReturnValue {
    canceled: boolean;
    filePaths: string[];
  }

  const dialog: {
    showOpenDialog(
      window: BrowserWindow,
      options: { title?: string; properties: ('openDirectory' | 'openFile')[] },
    ): Promise<OpenDialogReturnValue>;
    showErrorBox(title: string, content: string): void;
  };

  interface IpcMainInvokeEvent {
    readonly sender: WebContents;
  }

  const ipcMain: {
    handle(
      channel: string,
      listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown,
    ): void;
  };

  const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  };

  const contextBridge: {
    exposeInMainWorld(key: string, api: unknown): void;
  };

  const shell: {
    openExternal(url: string): Promise<void>;
  };

  const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed', listener: () => void): void;
    on(event: 'activate', listener: () => void): void;
    on(event: 'before-quit', listener: () => void): void;
    quit(): void;
    getVersion(): string;
    readonly isPackaged: boolean;
    readonly commandLine: { hasSwitch(name: string): boolean };
  };
}
