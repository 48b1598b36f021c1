import { type EventEnvelope, type NewEvent, newEvent } from '@condorhub/contracts';
import type { ServerState } from './server-state';
import { type TimerSpec, timerKeys } from './timers';

/**
 * The removal saga, pure: a stop (or a failed spawn) drops the route, removes the job and ends
 * the entry with ServerStopped; `stop-timeout.ts` drives it again when it does not finish.
 */

/** Starting the removal: the spawn's step timers go, and its steps are requested. */
export function startRemoval(state: ServerState): { append: NewEvent[]; cancel: string[] } {
  const keys = timerKeys(state.spawnId!);
  return {
    append: removalSteps(state, true),
    cancel: [keys.idle, keys.port, keys.handshake, keys.submit, keys.route],
  };
}

/**
 * The removal's steps not known to be done (`first`: the stop has just started; on a deadline, a
 * route the proxy already removed is left alone). Repeating one is safe: the proxy drops a route
 * once, condor_rm of a gone job counts as done, and only the first ServerStopped of a spawn counts.
 */
export function removalSteps(state: ServerState, first: boolean): NewEvent[] {
  const spawnId = state.spawnId!;
  const steps: NewEvent[] = [];
  if (state.routeRequested && state.routeSpec && (first || state.routeAdded)) {
    steps.push(
      newEvent('RouteRemovalRequested', {
        spawnId,
        routeSpec: state.routeSpec,
        reason: state.failure ? 'spawn-failed' : 'stopped',
      }),
    );
  }
  if (state.jobId) {
    steps.push(newEvent('JobRemovalRequested', { spawnId, jobId: state.jobId }));
  } else {
    // Nothing was submitted (or the submit is still running; then JobSubmitted removes it).
    steps.push(newEvent('ServerStopped', { spawnId, reason: state.failure ? 'spawn failed' : 'stopped' }));
  }
  return steps;
}

/** What condor_rm answered: "not found" and "already removing" count as done. */
export type RemovalResult = { ok: true; outcome: string } | { ok: false; error: string };

/** The removal retry policy: how many condor_rm attempts a job gets, in all. */
export interface RemovalSettings {
  removalAttempts: number;
}

/** Seconds before condor_rm attempt `failed + 1`: doubling from 10 s, at most 5 min. */
export const removalBackoffS = (failed: number) => Math.min(300, 5 * 2 ** failed);

/**
 * After condor_rm of `removal.jobId` (requested for `removal.spawnId`; `stream`: the server's
 * events, `state` folded from them): a failure is recorded with its attempt number and retried
 * later while attempts are left; the stop of the current spawn ends with ServerStopped whatever
 * HTCondor said, so a stop never waits on the job.
 */
export function decideRemovalOutcome(
  state: ServerState,
  stream: Pick<EventEnvelope, 'type' | 'data'>[],
  removal: { spawnId: string; jobId: string },
  result: RemovalResult,
  settings: RemovalSettings,
): { events: NewEvent[]; retry?: TimerSpec } {
  const { spawnId, jobId } = removal;
  const events: NewEvent[] = [];
  let retry: TimerSpec | undefined;
  if (!result.ok) {
    const attempt =
      stream.filter((e) => e.type === 'JobRemovalFailed' && (e.data as { jobId?: string }).jobId === jobId).length + 1;
    events.push(newEvent('JobRemovalFailed', { spawnId, jobId, error: result.error, attempt }));
    if (attempt < settings.removalAttempts) {
      retry = {
        key: `rm:${spawnId}:${jobId}:${attempt}`,
        dueInS: removalBackoffS(attempt),
        event: newEvent('JobRemovalRequested', { spawnId, jobId }),
      };
    }
  }
  if (state.spawnId === spawnId && state.phase === 'stopping') {
    const reason = result.ok
      ? state.failure
        ? 'spawn failed'
        : 'stopped'
      : 'stopped; job removal is retried in the background';
    events.push(newEvent('ServerStopped', { spawnId, reason }));
  }
  return { events, ...(retry ? { retry } : {}) };
}
