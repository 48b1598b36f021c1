import { streamCategory } from './names';

// Subject layout (a public API): `<prefix>.events.<category>.<Type>` for events and
// `<prefix>.cmd.<service>.<verb>` for commands. The prefix is `condorhub` in production;
// tests use their own so they can share one NATS server.
export const DEFAULT_SUBJECT_PREFIX = 'condorhub';
export const DEFAULT_STREAM_NAME = 'CONDORHUB';

export function eventSubject(prefix: string, streamId: string, type: string): string {
  return `${prefix}.events.${streamCategory(streamId)}.${type}`;
}
export function eventSubjectFilter(prefix: string, category = '*', type = '*'): string {
  return category === '*' && type === '*' ? `${prefix}.events.>` : `${prefix}.events.${category}.${type}`;
}
/**
 * `<prefix>.announce.<category>.<Type>`: an event its writer publishes on core NATS right after
 * its commit, for a consumer that should not wait for the relay (the proxy, for RouteRequested).
 * At most once and possibly ahead of earlier events; the relay's copy (same event id) follows on
 * `<prefix>.events.…` for everyone. Outside the JetStream stream's subjects on purpose.
 */
export function announceSubject(prefix: string, streamId: string, type: string): string {
  return `${prefix}.announce.${streamCategory(streamId)}.${type}`;
}
export function announceSubjectFilter(prefix: string, category: string, type = '*'): string {
  return `${prefix}.announce.${category}.${type}`;
}
export function commandSubject(prefix: string, service: string, verb: string): string {
  return `${prefix}.cmd.${service}.${verb}`;
}
export function deadLetterSubject(prefix: string, consumer: string): string {
  return `${prefix}.dead-letter.${consumer}`;
}
/**
 * Activity the proxy saw, batched (no message per request): a JSON array of
 * ProxyActivityRecord. Core NATS, not the event log: it is a hint for idle culling, and the
 * next batch repeats what a lost one said.
 */
export function proxyActivitySubject(prefix: string): string {
  return `${prefix}.activity.proxy`;
}
/**
 * `<prefix>.events.replay.<consumer>`: a dead letter sent back to the durable consumer that gave
 * it up (`condorhub dead-letters replay`). Inside `<prefix>.events.>`, so that consumer receives
 * it; no stream category is called `replay`, so followers of a category never see it.
 */
export function replaySubject(prefix: string, consumer: string): string {
  return `${prefix}.events.replay.${consumer}`;
}
