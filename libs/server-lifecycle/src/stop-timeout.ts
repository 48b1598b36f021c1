import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { LifecycleSettings } from './react';
import { removalSteps } from './removal';
import type { ServerState } from './server-state';
import { type TimerSpec, timerKeys } from './timers';

/**
 * The stop timeout: a stopping server gets `stopTimeoutS` for its removal to finish, then
 * StopTimedOut fires. Attempt `n` of `stopAttempts` is armed when the stop starts (n = 1) and
 * by each StopTimedOut before the last.
 */
export const stopDeadline = (
  spawnId: string,
  attempt: number,
  settings: Pick<LifecycleSettings, 'stopTimeoutS'>,
): TimerSpec => ({
  key: timerKeys(spawnId).stop(attempt),
  dueInS: settings.stopTimeoutS,
  event: newEvent('StopTimedOut', { spawnId, waitedS: settings.stopTimeoutS * attempt, attempt }),
});

/**
 * What a StopTimedOut of the current spawn does: while attempts are left, drive the removal's
 * steps again (whatever got lost: a dead-lettered removal, a condor_rm that never ran) and arm
 * the next deadline; after the last, the entry ends whatever the proxy or HTCondor answered (a
 * job left behind is removed by the poller as a stray). Nothing once the server is not stopping.
 */
export function decideStopTimedOut(
  state: ServerState,
  timedOut: { attempt: number; waitedS: number },
  settings: Pick<LifecycleSettings, 'stopTimeoutS' | 'stopAttempts'>,
): { append: NewEvent[]; arm: TimerSpec[] } {
  if (state.phase !== 'stopping' || !state.spawnId) return { append: [], arm: [] };
  const spawnId = state.spawnId;
  if (timedOut.attempt < settings.stopAttempts) {
    return { append: removalSteps(state, false), arm: [stopDeadline(spawnId, timedOut.attempt + 1, settings)] };
  }
  return {
    append: [
      newEvent('ServerStopped', {
        spawnId,
        reason: `stopped after ${timedOut.waitedS} s without the removal finishing; a job left behind is removed as a stray`,
      }),
    ],
    arm: [],
  };
}
