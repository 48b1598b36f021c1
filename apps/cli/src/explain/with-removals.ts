import type { Pool } from 'pg';
import { type EventEnvelope, inLogOrder, removalStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';

/** A spawn's events with those of its removal stream (a stray job removed), in log order. */
export async function withRemovals(pool: Pool, events: EventEnvelope[]): Promise<EventEnvelope[]> {
  const spawnId = (events[0]?.data as { spawnId?: string } | undefined)?.spawnId;
  if (!spawnId) return events;
  return [...events, ...(await readStream(pool, removalStreamId(spawnId)))].sort(inLogOrder);
}
