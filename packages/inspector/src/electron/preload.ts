// The preload runs in the sandbox, isolated from the page: it hands the page a bridge of three
// calls over IPC, and never exposes ipcRenderer itself (which would let the page send on any
// channel).
import { contextBridge, ipcRenderer } from 'electron';
import { SHELL_BRIDGE_KEY, ShellChannels, type ShellBridge } from './bridge.ts';

const bridge: ShellBridge = {
  openStoreFolder: async () => {
    await ipcRenderer.invoke(ShellChannels.openStoreFolder);
  },
  attach: async (address: string) => {
    if (typeof address !== 'string') throw new TypeError('attach() takes the address as a string.');
    await ipcRenderer.invoke(ShellChannels.attach, address);
  },
  version: async () => String(await ipcRenderer.invoke(ShellChannels.version)),
};

contextBridge.exposeInMainWorld(SHELL_BRIDGE_KEY, bridge);
