/**
 * The narrow API the preload exposes to the inspector page as `window.causewayShell`, and the
 * IPC channel names behind it. The page gets these three calls and nothing else of Electron or
 * Node.
 */

/** IPC channels between the preload and the main process. */
export const ShellChannels = {
  openStoreFolder: 'causeway:open-store-folder',
  attach: 'causeway:attach',
  version: 'causeway:version',
} as const;

/** What `window.causewayShell` offers the page inside the Electron shell. */
export interface ShellBridge {
  /** Shows the folder picker and, when a folder is chosen, opens its store in this window. */
  openStoreFolder(): Promise<void>;
  /** Attaches this window to a running app's inspector address; rejects with the reason when refused. */
  attach(address: string): Promise<void>;
  /** The shell's version, for the about line. */
  version(): Promise<string>;
}

/** The name under which the bridge is exposed on `window`. */
export const SHELL_BRIDGE_KEY = 'causewayShell';
