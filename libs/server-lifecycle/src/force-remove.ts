import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { ServerState } from './server-state';

export type ForceRemoval = { removed: false; why: string } | { removed: true; events: NewEvent[]; summary: string };

/**
 * The operators' last resort for a server that will not go (its job gone, its stop stuck): the
 * entry ends now (ServerStopped) whatever state it is in; the job is still removed by the spawner
 * (JobRemovalRequested) and the proxy drops the route when it sees ServerStopped. Used by
 * `condorhub force-remove` and the admin page alike.
 */
export function decideForceRemove(state: ServerState, by: string): ForceRemoval {
  if (!state.spawnId || state.phase === 'stopped' || state.phase === 'none')
    return { removed: false, why: 'not running' };
  const spawnId = state.spawnId;
  return {
    removed: true,
    events: [
      newEvent('StopRequested', { spawnId, by, reason: 'force-removed by an operator' }),
      ...(state.jobId ? [newEvent('JobRemovalRequested', { spawnId, jobId: state.jobId })] : []),
      newEvent('ServerStopped', { spawnId, reason: `force-removed by ${by}` }),
    ],
    summary: `removed (was ${state.phase}${state.jobId ? `, job ${state.jobId} is being removed` : ''})`,
  };
}
