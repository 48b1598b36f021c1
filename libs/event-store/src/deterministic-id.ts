import { createHash } from 'node:crypto';

/**
 * A uuid derived from its parts: replicas or retries that record the same fact get the same
 * event id, so the store keeps it once (DuplicateEventError for the others).
 */
export function deterministicEventId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // Shaped as a version-5-style uuid (name-based) so it passes uuid validation.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
