import { randomUUID } from 'node:crypto';
import {
  type EventEnvelope,
  type EventMetadata,
  type NewEvent,
  eventDefinition,
  parseEventData,
  parseWith,
  EventMetadata as EventMetadataSchema,
  streamCategory,
} from '@condorhub/contracts';
import { type Sql, deferNotifyToCommit } from '../db';
import { notifyAppended } from './notify-appended';
import { DuplicateEventError, type ExpectedVersion, WrongExpectedVersionError } from '../errors';

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
  metadata?: EventMetadata;
  /** Fixed ids make a retried append detectable (DuplicateEventError) instead of doubled. */
  eventIds?: string[];
  /** Timers the decision disarms, in the same statement (after the stream lock, as every writer). */
  cancelTimers?: string[];
}

export interface AppendResult {
  nextVersion: number;
  lastPosition: string;
  transactionId: string;
  /**
   * The last event stored, as a reader will see it (its id, stream version, global position and
   * transaction; `recordedAt` is this process's clock at the commit, the store's differs slightly).
   */
  last: EventEnvelope;
}

const expectedCode = (v: ExpectedVersion): number =>
  v === 'any' ? -1 : v === 'no_stream' ? -2 : v === 'stream_exists' ? -3 : v;

/**
 * Appends events to one stream atomically. Every payload is parsed through its contract
 * first: an invalid one throws ContractError and nothing is stored.
 */
export async function appendToStream(
  sql: Sql,
  streamId: string,
  events: NewEvent[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  if (!events.length) throw new Error('appendToStream: no events');
  if (!streamId || streamId.length > 300) throw new Error(`appendToStream: invalid stream id "${streamId}"`);
  const expected = options.expectedVersion ?? 'any';
  if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
    throw new Error(`appendToStream: invalid expected version ${expected}`);
  }
  const metadata = parseWith(EventMetadataSchema, options.metadata ?? {}, 'event metadata');
  const parsed = events.map((e) => ({
    type: e.type,
    data: parseEventData(e.type, e.data),
    schemaVersion: eventDefinition(e.type).schemaVersion,
  }));
  const ids = options.eventIds ?? parsed.map(() => randomUUID());
  if (ids.length !== parsed.length) throw new Error('appendToStream: one event id per event');
  const cancel = options.cancelTimers ?? [];
  try {
    const { rows } = await sql.query<{ next_version: string; last_position: string; tx_id: string }>(
      cancel.length
        ? `SELECT next_version, last_position::text AS last_position, tx_id::text AS tx_id
             FROM append_and_cancel_timers($1, $2, $3, $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::text[])`
        : `SELECT next_version, last_position::text AS last_position, tx_id::text AS tx_id
             FROM append_to_stream($1, $2, $3, $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[])`,
      [
        streamId,
        streamCategory(streamId),
        expectedCode(expected),
        ids,
        parsed.map((e) => e.type),
        parsed.map((e) => e.schemaVersion),
        parsed.map((e) => JSON.stringify(e.data)),
        parsed.map(() => JSON.stringify(metadata)),
        ...(cancel.length ? [cancel] : []),
      ],
    );
    const row = rows[0];
    // Outside withTransaction the append has committed (inside, the transaction wakes the readers
    // at its commit). The wake-up is sent, not awaited: the caller need not wait a round trip for
    // it, and a lost one costs readers a poll interval, never an event.
    if (!deferNotifyToCommit(sql)) void notifyAppended(sql).catch(() => undefined);
    const last = parsed[parsed.length - 1];
    return {
      nextVersion: Number(row.next_version),
      lastPosition: row.last_position,
      transactionId: row.tx_id,
      last: {
        eventId: ids[ids.length - 1],
        type: last.type,
        schemaVersion: last.schemaVersion,
        streamId,
        streamVersion: Number(row.next_version),
        globalPosition: row.last_position,
        transactionId: row.tx_id,
        recordedAt: new Date().toISOString(),
        data: last.data,
        metadata,
      } as EventEnvelope,
    };
  } catch (error: any) {
    if (error?.code === 'CH409') throw new WrongExpectedVersionError(streamId, expected, Number(error.detail));
    if (error?.code === '23505' && /event_id/.test(error.constraint ?? error.detail ?? '')) {
      throw new DuplicateEventError(error.detail ?? ids.join(','));
    }
    throw error;
  }
}
