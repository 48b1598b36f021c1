import { headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { type EventEnvelope, eventSubject } from '@condorhub/contracts';
import { type DatabaseOptions, EventProcessor } from '@condorhub/event-store';
import { observeRelayLag } from '@condorhub/metrics';

export interface RelayOptions {
  pool: Pool;
  db: DatabaseOptions;
  nc: NatsConnection;
  prefix: string;
  publishTimeoutMs?: number;
  onError?: (e: unknown) => void;
  onPublished?: (events: EventEnvelope[]) => void;
}

export const RELAY_PROCESSOR = 'relay';

/**
 * Publishes every stored event, in order, to JetStream with Nats-Msg-Id = event id. The
 * checkpoint moves only after every publish of the batch is acknowledged; a repeat after a
 * crash is dropped by JetStream's duplicate window. One relay is active per schema (advisory
 * lock); others wait to take over.
 */
export function createRelay(opts: RelayOptions): EventProcessor {
  const js = jetstream(opts.nc, { timeout: opts.publishTimeoutMs ?? 5_000 });
  return new EventProcessor({
    name: RELAY_PROCESSOR,
    pool: opts.pool,
    db: opts.db,
    mode: 'after',
    exclusive: true,
    batchSize: 200,
    pollMs: 500,
    // The next batch is not held back by a checkpoint commit; a crash repeats ≤ 200 ms of the
    // log, which JetStream's duplicate window (msgID = event id) drops.
    checkpointEveryMs: 200,
    onError: opts.onError,
    handle: async (events) => {
      // Pipelined on one connection: the server receives them in this order.
      await Promise.all(
        events.map((event) => {
          const h = headers();
          h.set('Condorhub-Type', event.type);
          h.set('Condorhub-Stream', event.streamId);
          return js.publish(eventSubject(opts.prefix, event.streamId, event.type), JSON.stringify(event), {
            msgID: event.eventId,
            headers: h,
          });
        }),
      );
      observeRelayLag(events);
      opts.onPublished?.(events);
    },
  });
}
