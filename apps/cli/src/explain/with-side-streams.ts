import type { Pool } from 'pg';
import { type EventEnvelope, inLogOrder, spawnSideStreamIds } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';

/** A spawn's events with those of its side streams (a stray job removed, the launcher's token), in log order. */
export async function withSideStreams(pool: Pool, events: EventEnvelope[]): Promise<EventEnvelope[]> {
  const spawnId = (events[0]?.data as { spawnId?: string } | undefined)?.spawnId;
  if (!spawnId) return events;
  const side = await Promise.all(spawnSideStreamIds(spawnId).map((id) => readStream(pool, id)));
  return [...events, ...side.flat()].sort(inLogOrder);
}
