import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { SHELL_BRIDGE_KEY, type ShellBridge } from '../../electron/bridge.ts';

/** The Electron shell's bridge, when the page runs inside the shell. */
export function shellBridge(): ShellBridge | null {
  const bridge = (window as unknown as Record<string, unknown>)[SHELL_BRIDGE_KEY];
  return bridge === undefined ? null : (bridge as ShellBridge);
}

/**
 * The first screen when the page has no agent to talk to: paste the address a running app
 * printed, or (in the Electron shell) open a store folder.
 */
export function ConnectScreen(): ReactNode {
  const shell = shellBridge();
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  const attach = (event: FormEvent): void => {
    event.preventDefault();
    setError(null);
    if (shell !== null) {
      shell.attach(address).catch((err: unknown) => {
        setError(err instanceof Error ? err.message : String(err));
      });
      return;
    }
    try {
      window.location.assign(new URL(address.trim()).href);
    } catch {
      setError(`"${address}" is not an address. Paste the URL the app printed.`);
    }
  };
  return (
    <main className="splash">
      <h1 className="splash-title">Causeway Inspector</h1>
      <p className="muted">
        Attach to a running app, or open a store. An app prints its address when it calls{' '}
        <code>attachInspector(system)</code>; <code>npx causeway-inspector open file:./data</code>{' '}
        serves a store with no app.
      </p>
      <form className="connect-form" onSubmit={attach}>
        <label htmlFor="attach-address">Address</label>
        <input
          id="attach-address"
          ref={input}
          className="text-input mono"
          value={address}
          placeholder="http://127.0.0.1:7777/?token=…"
          onChange={(e) => setAddress(e.target.value)}
          spellCheck={false}
        />
        <button type="submit" className="button primary">
          Attach
        </button>
      </form>
      {shell !== null && (
        <button
          type="button"
          className="button"
          onClick={() => {
            shell.openStoreFolder().catch((err: unknown) => {
              setError(err instanceof Error ? err.message : String(err));
            });
          }}
        >
          Open store folder…
        </button>
      )}
      {error !== null && (
        <p className="splash-error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
