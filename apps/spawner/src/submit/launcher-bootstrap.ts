import type { Pool } from 'pg';
import { launcherStreamId, newEvent } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { hashToken, newTokenValue } from '@condorhub/tokens';

/**
 * The one-time credential that goes into the job's environment instead of the server's API
 * token: the job ad is readable by every pool user (`condor_q -l`). The launcher trades it once
 * at the port registry (apps/port-registry/src/exchange-api-token) for the real token. It names
 * its spawn (`<spawnId>.<secret>`); only the secret's hash is stored, as an event.
 * A resubmit of the same spawn issues a new one; the latest is the only one that counts.
 */
export async function issueLauncherBootstrap(
  pool: Pool,
  spawn: { spawnId: string; user: string; serverName: string; lifetimeS: number },
): Promise<string> {
  const secret = newTokenValue();
  await appendToStream(
    pool,
    launcherStreamId(spawn.spawnId),
    [
      newEvent('LauncherBootstrapIssued', {
        spawnId: spawn.spawnId,
        user: spawn.user,
        serverName: spawn.serverName,
        bootstrapHash: hashToken(secret),
        expiresAt: new Date(Date.now() + spawn.lifetimeS * 1000).toISOString(),
      }),
    ],
    { metadata: { correlationId: spawn.spawnId, actor: 'spawner' } },
  );
  return `${spawn.spawnId}.${secret}`;
}
