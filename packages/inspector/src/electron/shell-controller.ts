import {
  contentSecurityPolicy,
  mayNavigate,
  parseAttachAddress,
  storeUrlForFolder,
} from './shell-policy.ts';

/** The window the controller drives (an Electron BrowserWindow in the shell). */
export interface ShellWindow {
  load(url: string): Promise<void>;
  showError(title: string, message: string): void;
}

/** An inspector server the shell started over a store (the offline `open` server). */
export interface ShellStoreServer {
  /** The page address, token included. */
  readonly url: string;
  close(): Promise<void>;
}

/** What the controller needs from the outside world. */
export interface ShellServices {
  readonly window: ShellWindow;
  /** Serves a store offline (`causeway-inspector open <store-url>`) on loopback. */
  openStore(storeUrl: string): Promise<ShellStoreServer>;
  /** Shows a folder picker; null when cancelled. */
  chooseFolder(): Promise<string | null>;
  /** The page shown when nothing is open: the UI's connect screen. */
  readonly welcomeUrl: string;
  /** Whether "Attach to URL…" may reach other machines (`--allow-remote`). */
  readonly allowRemote: boolean;
}

/**
 * What one inspector window shows and where it may go: the welcome screen, a store served by
 * the shell, or a running app's agent. It keeps at most one store server alive and closes the
 * previous one when the window moves on.
 */
export class ShellController {
  private server: ShellStoreServer | null = null;
  private origin: string | null = null;

  constructor(private readonly services: ShellServices) {}

  /** The origin the window is allowed to stay on, or null while it shows the welcome page. */
  get allowedOrigin(): string | null {
    return this.origin;
  }

  /** The content security policy for responses from the current origin, if any. */
  policyFor(responseUrl: string): string | null {
    if (this.origin === null || !mayNavigate(responseUrl, this.origin)) return null;
    return contentSecurityPolicy(this.origin);
  }

  /** Whether a navigation the page started may proceed. */
  mayNavigate(target: string): boolean {
    if (target === this.services.welcomeUrl) return true;
    return this.origin !== null && mayNavigate(target, this.origin);
  }

  /** Shows the welcome screen, closing any store server. */
  async showWelcome(focusAttach = false): Promise<void> {
    await this.closeServer();
    this.origin = null;
    const url = focusAttach ? `${this.services.welcomeUrl}#attach` : this.services.welcomeUrl;
    await this.services.window.load(url);
  }

  /** Asks for a folder and opens it as a file store; does nothing when cancelled. */
  async openStoreFolder(): Promise<void> {
    const folder = await this.services.chooseFolder();
    if (folder === null) return;
    await this.openStore(storeUrlForFolder(folder));
  }

  /** Serves a store (any store URL) and shows it; a failure is shown, the window stays. */
  async openStore(storeUrl: string): Promise<void> {
    let next: ShellStoreServer;
    try {
      next = await this.services.openStore(storeUrl);
    } catch (error) {
      this.services.window.showError('Cannot open the store', describe(error));
      return;
    }
    await this.closeServer();
    this.server = next;
    await this.show(new URL(next.url));
  }

  /**
   * Attaches to an address the app printed. Throws with the reason when the address is refused,
   * so that the page's attach form can show it.
   */
  async attach(address: string): Promise<void> {
    const target = parseAttachAddress(address, { allowRemote: this.services.allowRemote });
    if (!target.ok) throw new Error(target.reason);
    await this.closeServer();
    await this.show(target.url);
  }

  /** Closes the store server, if the shell started one. */
  async close(): Promise<void> {
    await this.closeServer();
  }

  private async show(url: URL): Promise<void> {
    this.origin = url.origin;
    await this.services.window.load(url.href);
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) await server.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
