import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventMetadata, NewEvent } from '@condorhub/contracts';
import type { Sql } from './db';
import { DuplicateEventError, isWriteConflict } from './errors';
import { appendToStream } from './sql/append-to-stream';
import { readStream } from './sql/read-stream';

/** What a decision on a stream records: events, and timers that no longer apply. */
export interface StreamDecision {
  events: NewEvent[];
  cancelTimers?: string[];
  /** Fixed ids, so writers that decide the same thing store it once. */
  eventIds?: string[];
  /** Metadata known only once decided (the spawn the events correlate with); else the options'. */
  metadata?: EventMetadata;
}

/**
 * Reads a stream, lets `decide` choose what to record on it (undefined: nothing), and appends
 * that at the version it was decided on, with the timer cancellations, in one statement (stream
 * lock before timer rows, as every writer). Another writer first: read and decide again.
 * In the caller's transaction (`sql` a client inside BEGIN), pass `attempts: 1`: a conflict
 * aborts the transaction, so the caller retries it whole on 'conflict'.
 */
export async function decideAndAppend(
  sql: Sql,
  streamId: string,
  decide: (stream: EventEnvelope[]) => StreamDecision | undefined,
  options: {
    metadata?: EventMetadata;
    attempts?: number;
    /**
     * The stream as the caller already knows it (it has just appended to it, say): the first
     * decision is made on it without reading. Stale is safe: the append then fails on the
     * version and the next attempt reads.
     */
    known?: EventEnvelope[];
    /** After the commit: the last event stored, as a reader will see it. */
    onAppended?: (last: EventEnvelope) => void;
  } = {},
): Promise<'appended' | 'declined' | 'duplicate' | 'conflict'> {
  let known = options.known;
  let conflicts = 0;
  for (;;) {
    const fromKnown = known !== undefined;
    const stream = known ?? (await readStream(sql, streamId));
    known = undefined;
    const decision = decide(stream);
    // Declined on what the caller knew: what is stored may say otherwise, so read and decide.
    if (!decision) {
      if (fromKnown) continue;
      return 'declined';
    }
    const eventIds = decision.eventIds ?? decision.events.map(() => randomUUID());
    try {
      const result = await appendToStream(sql, streamId, decision.events, {
        expectedVersion: stream.length ? stream[stream.length - 1].streamVersion : 0,
        eventIds,
        metadata: decision.metadata ?? options.metadata,
        cancelTimers: decision.cancelTimers,
      });
      options.onAppended?.(result.last);
      return 'appended';
    } catch (error) {
      if (error instanceof DuplicateEventError) return 'duplicate';
      if (!isWriteConflict(error)) throw error;
      // A stale known stream is expected to lose; only conflicts on a fresh read count.
      if (!fromKnown && ++conflicts >= (options.attempts ?? 5)) return 'conflict';
    }
  }
}
