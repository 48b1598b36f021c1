import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { type EventEnvelope, type EventMetadata, type NewEvent, eventDefinition } from '@condorhub/contracts';
import { withTransaction } from './db';
import { DuplicateEventError, isWriteConflict } from './errors';
import { appendToStream } from './sql/append-to-stream';
import { cancelScheduledMessage } from './sql/cancel-scheduled-message';
import { readStream } from './sql/read-stream';

/** What a decision on a stream records: events, and timers that no longer apply. */
export interface StreamDecision {
  events: NewEvent[];
  cancelTimers?: string[];
  /** Fixed ids, so writers that decide the same thing store it once. */
  eventIds?: string[];
}

/**
 * Reads a stream, lets `decide` choose what to record on it (undefined: nothing), and appends
 * that at the version it was decided on, with the timer cancellations, in one transaction
 * (stream lock before timer rows, as every writer). Another writer first: read and decide again.
 */
export async function decideAndAppend(
  pool: Pool,
  streamId: string,
  decide: (stream: EventEnvelope[]) => StreamDecision | undefined,
  options: {
    metadata?: EventMetadata;
    attempts?: number;
    /**
     * After the commit: the last event stored, as a reader will see it (its id, stream version,
     * global position and transaction; `recordedAt` is this process's clock at the commit).
     */
    onAppended?: (last: EventEnvelope) => void;
  } = {},
): Promise<'appended' | 'declined' | 'duplicate' | 'conflict'> {
  for (let attempt = 0; attempt < (options.attempts ?? 5); attempt++) {
    const stream = await readStream(pool, streamId);
    const decision = decide(stream);
    if (!decision) return 'declined';
    const eventIds = decision.eventIds ?? decision.events.map(() => randomUUID());
    try {
      const result = await withTransaction(pool, async (tx) => {
        const appended = await appendToStream(tx, streamId, decision.events, {
          expectedVersion: stream.length ? stream[stream.length - 1].streamVersion : 0,
          eventIds,
          metadata: options.metadata,
        });
        for (const key of decision.cancelTimers ?? []) await cancelScheduledMessage(tx, key);
        return appended;
      });
      if (options.onAppended) {
        const event = decision.events[decision.events.length - 1];
        options.onAppended({
          eventId: eventIds[eventIds.length - 1],
          type: event.type,
          schemaVersion: eventDefinition(event.type).schemaVersion,
          streamId,
          // The store returns the last event's version and position.
          streamVersion: result.nextVersion,
          globalPosition: result.lastPosition,
          transactionId: result.transactionId,
          recordedAt: new Date().toISOString(),
          data: event.data,
          metadata: options.metadata ?? {},
        } as EventEnvelope);
      }
      return 'appended';
    } catch (error) {
      if (error instanceof DuplicateEventError) return 'duplicate';
      if (!isWriteConflict(error)) throw error;
    }
  }
  return 'conflict';
}
