import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventSubjectFilter } from '@condorhub/contracts';

export interface EventStreamOptions {
  streamName: string;
  prefix: string;
  /** How long JetStream remembers a Nats-Msg-Id to drop re-publishes. */
  duplicateWindowMs?: number;
  /**
   * The stream's limits (default 7 days, 1 GiB), oldest dropped first: it is a transport, the
   * event store is the record. A consumer that falls further behind than this loses the
   * transport's copy; the phase deadlines end any spawn or stop that was waiting on it.
   */
  maxAgeS?: number;
  maxBytes?: number;
}

const ms = (n: number) => n * 1_000_000;

/** Creates the JetStream stream for `<prefix>.events.>` (and dead letters), or brings its settings up to date. */
export async function ensureEventStream(nc: NatsConnection, opts: EventStreamOptions): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const maxAgeMs = (opts.maxAgeS ?? 7 * 86_400) * 1000;
  const config = {
    name: opts.streamName,
    subjects: [eventSubjectFilter(opts.prefix), `${opts.prefix}.dead-letter.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: ms(maxAgeMs),
    max_bytes: opts.maxBytes ?? 1_073_741_824,
    // JetStream refuses a duplicate window longer than the stream's max age.
    duplicate_window: ms(Math.min(opts.duplicateWindowMs ?? 10 * 60_000, maxAgeMs)),
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
