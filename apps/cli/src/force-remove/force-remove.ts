import type { Pool } from 'pg';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { foldServer } from '@condorhub/server-lifecycle';

/**
 * The operator's last resort for a server that will not go: the entry ends now
 * (ServerStopped) whatever state it is in; the job is still removed by the spawner
 * (JobRemovalRequested) and the proxy drops the route when it sees ServerStopped.
 */
export async function forceRemove(pool: Pool, user: string, serverName: string, by: string): Promise<string> {
  const stream = serverStreamId(user, serverName);
  const events = await readStream(pool, stream);
  const state = foldServer(events);
  if (!state.spawnId || state.phase === 'stopped' || state.phase === 'none')
    return `${user}/${serverName}: not running`;
  const spawnId = state.spawnId;
  await appendToStream(
    pool,
    stream,
    [
      newEvent('StopRequested', { spawnId, by, reason: 'force-removed by an operator' }),
      ...(state.jobId ? [newEvent('JobRemovalRequested', { spawnId, jobId: state.jobId })] : []),
      newEvent('ServerStopped', { spawnId, reason: `force-removed by ${by}` }),
    ],
    { expectedVersion: state.streamVersion, metadata: { actor: by, correlationId: spawnId } },
  );
  return `${user}/${serverName}: removed (was ${state.phase}${state.jobId ? `, job ${state.jobId} is being removed` : ''})`;
}
