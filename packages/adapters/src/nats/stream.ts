import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** Options of {@link ensureEventStream}. */
export interface EventStreamOptions {
  /** The stream's name. */
  readonly name: string;
  /** The subjects it captures, for example `['causeway.events.>']`. */
  readonly subjects: readonly string[];
  /**
   * How long JetStream remembers message ids to drop resends, in ms. Default 2 minutes (the
   * JetStream default). A relay down for longer than this may publish a batch twice.
   */
  readonly duplicateWindowMs?: number;
}

/**
 * Creates a file-backed JetStream stream for relayed events, or leaves an existing one as it is.
 * Returns whether it was created.
 */
export async function ensureEventStream(
  connection: NatsConnection,
  options: EventStreamOptions,
): Promise<boolean> {
  const jsm = await jetstreamManager(connection);
  const exists = await jsm.streams.info(options.name).then(
    () => true,
    () => false,
  );
  if (exists) return false;
  await jsm.streams.add({
    name: options.name,
    subjects: [...options.subjects],
    storage: StorageType.File,
    duplicate_window: (options.duplicateWindowMs ?? 120_000) * 1_000_000,
  });
  return true;
}
