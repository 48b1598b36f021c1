import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { type PreparedAppend, appendGrouped, appendOne } from './append-grouped';
import {
  type EventEnvelope,
  type EventMetadata,
  type NewEvent,
  eventDefinition,
  parseWith,
  EventMetadata as EventMetadataSchema,
  streamCategory,
} from '@condorhub/contracts';
import { type Sql, afterCommit } from '../db';
import { notifyAppended, wakeReaders } from './notify-appended';
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
  // Metadata is usually absent: skip its parse and encoding then.
  const metadata: EventMetadata = options.metadata
    ? parseWith(EventMetadataSchema, options.metadata, 'event metadata')
    : {};
  const ids = options.eventIds ?? events.map(() => randomUUID());
  if (ids.length !== events.length) throw new Error('appendToStream: one event id per event');
  // Each payload parsed once through its contract, and all of them encoded in one JSON text.
  const parsed = events.map((e, i) => {
    const def = eventDefinition(e.type);
    return { id: ids[i], type: e.type, v: def.schemaVersion, data: parseWith(def.schema, e.data, `${e.type} event`) };
  });
  const prepared: PreparedAppend = {
    streamId,
    category: streamCategory(streamId),
    expected: expectedCode(expected),
    events: parsed,
    metadata,
    cancelTimers: options.cancelTimers ?? null,
  };
  try {
    // Straight on a pool, concurrent appends share a round trip and a commit (append-grouped.ts).
    const row = await (sql instanceof Pool ? appendGrouped(sql, prepared) : appendOne(sql, prepared));
    // Inside withTransaction, wake the readers after its commit; from a pool, the append has
    // committed. The wake-up is sent, not awaited, and coalesced per pool (see wakeReaders): a
    // lost one costs readers a poll interval, never an event. A client the caller manages gets
    // its NOTIFY at once, queued behind the append, before the caller can hand it on.
    if (!afterCommit(sql, wakeReaders)) {
      if (sql instanceof Pool) wakeReaders(sql);
      else void notifyAppended(sql).catch(() => undefined);
    }
    const last = parsed[parsed.length - 1];
    return {
      nextVersion: Number(row.next_version),
      lastPosition: row.last_position,
      transactionId: row.tx_id,
      last: {
        eventId: last.id,
        type: last.type,
        schemaVersion: last.v,
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
