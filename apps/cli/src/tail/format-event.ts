import type { EventEnvelope } from '@condorhub/contracts';

/** One line per event: position, time, stream, type, payload. */
export function formatEvent(e: EventEnvelope): string {
  return `${e.globalPosition.padStart(8)} ${e.recordedAt} ${e.streamId}#${e.streamVersion} ${e.type} ${JSON.stringify(e.data)}`;
}
