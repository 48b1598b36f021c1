import { z } from 'zod';
import { parseWith } from './contract-error';
import { type EventData, type EventType, parseEventData } from './registry';

export const EventMetadata = z.object({
  correlationId: z.string().min(1).optional(),
  causationId: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

// What crosses NATS and what readers of the store get: the event with its place in the log.
export const EventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().min(1),
  streamId: z.string().min(1),
  streamVersion: z.number().int().min(1),
  globalPosition: z.string().regex(/^\d+$/),
  transactionId: z.string().regex(/^\d+$/),
  recordedAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
  metadata: EventMetadata,
});

export interface EventEnvelope<T extends EventType = EventType> {
  eventId: string;
  type: T;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  /** bigint as a decimal string: JSON has no 64-bit integers. */
  globalPosition: string;
  transactionId: string;
  recordedAt: string;
  data: EventData<T>;
  metadata: EventMetadata;
}

/** Parses an envelope from the wire, including its payload by type. */
export function parseEnvelope(value: unknown): EventEnvelope {
  const envelope = parseWith(EventEnvelopeSchema, value, 'event envelope');
  const data = parseEventData(envelope.type as EventType, envelope.data);
  return { ...envelope, type: envelope.type as EventType, data } as EventEnvelope;
}

/** Sorts envelopes from several streams into the order the log stored them. */
export function inLogOrder(a: EventEnvelope, b: EventEnvelope): number {
  const d = BigInt(a.globalPosition) - BigInt(b.globalPosition);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isEvent<T extends EventType>(envelope: EventEnvelope, type: T): envelope is EventEnvelope<T> {
  return envelope.type === type;
}
