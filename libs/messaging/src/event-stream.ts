import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventSubjectFilter } from '@condorhub/contracts';

export interface EventStreamOptions {
  streamName: string;
  prefix: string;
  /** How long JetStream remembers a Nats-Msg-Id to drop re-publishes. */
  duplicateWindowMs?: number;
}

const ms = (n: number) => n * 1_000_000;

/** Creates the JetStream stream for `<prefix>.events.>` (and dead letters) if it is missing. */
export async function ensureEventStream(nc: NatsConnection, opts: EventStreamOptions): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const config = {
    name: opts.streamName,
    subjects: [eventSubjectFilter(opts.prefix), `${opts.prefix}.dead-letter.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: ms(opts.duplicateWindowMs ?? 10 * 60_000),
  };
  try {
    await jsm.streams.info(opts.streamName);
    await jsm.streams.update(opts.streamName, config);
  } catch (error: any) {
    if (!/stream not found/i.test(String(error?.message))) throw error;
    await jsm.streams.add(config);
  }
}

export async function deleteEventStream(nc: NatsConnection, streamName: string): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  await jsm.streams.delete(streamName).catch(() => undefined);
}
