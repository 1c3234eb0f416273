import { useEffect, useState, type ReactNode } from 'react';
import { InspectorClient } from '../../client/index.ts';
import type { AgentAddress } from './agent-address.ts';

/** Connects to the agent, then renders its children with the client; shows why when it cannot. */
export function Connecting(props: {
  readonly address: AgentAddress;
  readonly children: (client: InspectorClient) => ReactNode;
}): ReactNode {
  const { address } = props;
  const [client, setClient] = useState<InspectorClient | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let made: InspectorClient | null = null;
    InspectorClient.connect(address.url).then(
      (connected) => {
        made = connected;
        if (live) setClient(connected);
        else connected.close();
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
      made?.close();
    };
  }, [address.url]);
  if (client !== null) return props.children(client);
  return (
    <main className="splash" aria-live="polite">
      <h1 className="splash-title">Causeway Inspector</h1>
      {error === null ? (
        <p className="muted">Connecting to {address.host}…</p>
      ) : (
        <div className="splash-error" role="alert">
          <p>Cannot attach to {address.host}.</p>
          <p className="mono">{error}</p>
          <p className="muted">
            Check that the app is running and that the address (with its token) is the one it
            printed.
          </p>
        </div>
      )}
    </main>
  );
}
