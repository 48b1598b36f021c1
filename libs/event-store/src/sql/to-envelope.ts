import type { EventEnvelope, EventType } from '@condorhub/contracts';

export const EVENT_COLUMNS = `global_position::text AS global_position, stream_id, stream_version, event_id, type,
  schema_version, data, metadata, recorded_at, transaction_id::text AS transaction_id`;

export interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Record<string, string>;
  recorded_at: Date;
  transaction_id: string;
}

export function toEnvelope(row: EventRow): EventEnvelope {
  return {
    eventId: row.event_id,
    type: row.type as EventType,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    recordedAt: row.recorded_at.toISOString(),
    data: row.data as never,
    metadata: row.metadata ?? {},
  };
}
