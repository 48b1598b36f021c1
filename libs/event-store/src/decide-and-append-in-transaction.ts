import type { Pool, PoolClient } from 'pg';
import type { EventEnvelope } from '@condorhub/contracts';
import { withTransaction } from './db';
import type { StreamDecision } from './decide-and-append';
import { isWriteConflict } from './errors';
import { appendToStream } from './sql/append-to-stream';
import { readStream } from './sql/read-stream';

/** A decision whose other effects commit with its events (or alone, when it records none). */
export interface TransactionDecision<R> extends StreamDecision {
  /** In the transaction, before the events are appended (a stream lock, timers, an inbox row). */
  before?: (tx: PoolClient) => Promise<void>;
  /** In the transaction, after the append; `last`: the last event stored, when there were any. */
  after?: (tx: PoolClient, last: EventEnvelope | undefined) => Promise<void>;
  /** What the caller gets once it is committed. */
  result: R;
}

/**
 * decideAndAppend for decisions with effects that must commit with the events: each attempt is
 * one transaction that runs `prepare` (a lock, a count: what the decision needs beyond the
 * stream, read under the same snapshot), reads the stream, decides, and stores the decision at
 * the version it was decided on with its effects. Another writer first: roll back, read and
 * decide again, up to `attempts` in all; then the conflict is thrown.
 */
export async function decideAndAppendInTransaction<R, C = undefined>(
  pool: Pool,
  streamId: string,
  /** `retry`: an earlier attempt lost to another writer (its effects were rolled back). */
  decide: (stream: EventEnvelope[], context: C, retry: boolean) => TransactionDecision<R>,
  options: {
    prepare?: (tx: PoolClient) => Promise<C>;
    attempts?: number;
    /** The stream as the caller already read it (outside any transaction): the first decision uses it. */
    known?: EventEnvelope[];
  } = {},
): Promise<R> {
  let known = options.known;
  for (let conflicts = 0; ;) {
    try {
      return await withTransaction(pool, async (tx) => {
        const context = (options.prepare ? await options.prepare(tx) : undefined) as C;
        const stream = known ?? (await readStream(tx, streamId));
        known = undefined;
        const decision = decide(stream, context, conflicts > 0);
        await decision.before?.(tx);
        let last: EventEnvelope | undefined;
        if (decision.events.length) {
          ({ last } = await appendToStream(tx, streamId, decision.events, {
            expectedVersion: stream.length ? stream[stream.length - 1].streamVersion : 0,
            eventIds: decision.eventIds,
            metadata: decision.metadata,
            cancelTimers: decision.cancelTimers,
          }));
        }
        await decision.after?.(tx, last);
        return decision.result;
      });
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
      known = undefined;
      // A stale known stream counts as an attempt too (it is one transaction rolled back).
      if (++conflicts >= (options.attempts ?? 5)) throw error;
    }
  }
}
