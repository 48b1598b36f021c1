import { newEvent } from '@condorhub/contracts';
import type { Decision } from './decide';
import type { ServerState } from './server-state';

/**
 * The operator's last resort for a server that will not go: the entry ends now (ServerStopped)
 * whatever phase it is in; its job is still removed by the spawner (JobRemovalRequested) and
 * the proxy drops the route when it sees ServerStopped. A server not running is refused.
 */
export function decideForceRemove(state: ServerState, by: string): Decision {
  if (!state.spawnId || state.phase === 'stopped' || state.phase === 'none') {
    return { ok: false, code: 'not-running', reason: 'not running' };
  }
  const spawnId = state.spawnId;
  return {
    ok: true,
    events: [
      newEvent('StopRequested', { spawnId, by, reason: 'force-removed by an operator' }),
      ...(state.jobId ? [newEvent('JobRemovalRequested', { spawnId, jobId: state.jobId })] : []),
      newEvent('ServerStopped', { spawnId, reason: `force-removed by ${by}` }),
    ],
  };
}
