import { createServer } from 'node:http';
import { Relay, type RelayOptions } from '../src/lockstep/relay.ts';
import { makeWorld } from '../src/sim/world.ts';

/** A relay on a loopback port, for tests. */
export interface RunningRelay {
  readonly relay: Relay;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port. */
export async function startRelay(
  options: Partial<RelayOptions> & { readonly seed: number },
): Promise<RunningRelay> {
  const relay = new Relay({
    tickMs: 10,
    makeSystem: (store) => makeWorld(store, { seed: options.seed }),
    ...options,
  });
  const server = createServer();
  relay.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    relay,
    url: `ws://127.0.0.1:${port}/ws`,
    close: async () => {
      await relay.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
