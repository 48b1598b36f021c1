import type { Pool } from 'pg';
import { launcherStreamId } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { decideLauncherBootstrap, foldLauncherCredential } from '@condorhub/server-lifecycle';
import { hashToken, newTokenValue } from '@condorhub/tokens';

/**
 * The one-time credential that goes into the job's environment instead of the server's API
 * token (decideLauncherBootstrap says why and when). It names its spawn (`<spawnId>.<secret>`);
 * only the secret's hash is stored, as an event. The launcher trades it at the port registry
 * (apps/port-registry/src/exchange-api-token).
 */
export async function issueLauncherBootstrap(
  pool: Pool,
  spawn: { spawnId: string; user: string; serverName: string; lifetimeS: number },
  clock: () => number = Date.now,
): Promise<string> {
  const secret = newTokenValue();
  const bootstrapHash = hashToken(secret);
  const outcome = await decideAndAppend(
    pool,
    launcherStreamId(spawn.spawnId),
    (stream) => ({
      events: decideLauncherBootstrap(foldLauncherCredential(stream), { ...spawn, bootstrapHash, now: clock() }),
    }),
    // A first submit finds the stream empty: decided on that without a read (a resubmit's
    // append then fails on the version, and the stream is read).
    { metadata: { correlationId: spawn.spawnId, actor: 'spawner' }, known: [] },
  );
  if (outcome !== 'appended')
    throw new Error(`could not record the launcher credential of ${spawn.spawnId}: ${outcome}`);
  return `${spawn.spawnId}.${secret}`;
}
