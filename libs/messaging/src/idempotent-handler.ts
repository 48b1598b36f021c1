import type { Pool, PoolClient } from 'pg';
import type { EventEnvelope } from '@condorhub/contracts';
import { markProcessed, withTransaction } from '@condorhub/event-store';

/**
 * Wraps a handler so its database effect happens once per event: the inbox row and the effect
 * commit in one transaction, and a redelivered event finds the row and does nothing.
 */
export function idempotent(
  pool: Pool,
  consumer: string,
  handle: (event: EventEnvelope, tx: PoolClient) => Promise<void>,
): (event: EventEnvelope) => Promise<void> {
  return (event) =>
    withTransaction(pool, async (tx) => {
      if (!(await markProcessed(tx, consumer, event.eventId))) return;
      await handle(event, tx);
    });
}
