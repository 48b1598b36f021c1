import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import { evolve } from './evolve';
import { type LifecycleSettings, react } from './react';
import type { ServerState } from './server-state';

/**
 * Events whose lifecycle reaction is only more events (and timer cancellations). The service
 * that records one of them (the port registry: NotebookResponded; the proxy: RouteAdded)
 * appends the reaction in the same transaction, so the ready path does not wait for a round
 * trip through the bus to the spawner and back for each step. The spawner still sees the
 * event; by then the state has moved on and its own `react` does nothing.
 */
const INLINE = new Set(['NotebookResponded', 'RouteAdded']);

export interface FollowUp {
  append: NewEvent[];
  cancel: string[];
}

/**
 * What the lifecycle appends right after `events`, given the stream's state before them.
 * Pure. Anything with another effect (a condor call, a node strike) is left to the spawner:
 * then nothing is returned for that event. Timers to arm are left to the spawner too (it arms
 * them when it sees the event, the stream then in the phase they guard); the events are not.
 * `now`: when the events are recorded (the caller's clock; the core reads none).
 */
export function followUp(state: ServerState, events: NewEvent[], settings: LifecycleSettings, now: Date): FollowUp {
  const out: FollowUp = { append: [], cancel: [] };
  let s = state;
  for (const e of events) {
    // Only type and data matter to evolve/react for these; the rest is filled in plausibly.
    const envelope = {
      eventId: '00000000-0000-0000-0000-000000000000',
      type: e.type,
      schemaVersion: 1,
      streamId: '',
      streamVersion: s.streamVersion + 1,
      globalPosition: '0',
      transactionId: '0',
      recordedAt: now.toISOString(),
      data: e.data,
      metadata: {},
    } as EventEnvelope;
    s = evolve(s, envelope);
    if (!INLINE.has(e.type)) continue;
    const r = react(s, envelope, settings);
    if (r.submit || r.removeJob || r.strike) continue;
    out.append.push(...r.append);
    out.cancel.push(...r.cancel);
  }
  return out;
}
