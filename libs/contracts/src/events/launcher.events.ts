import { z } from 'zod';
import { ServerName, SpawnId, UserName } from '../names';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256');

// The `launcher-<spawnId>` stream: how a spawn's launcher got its server API token. The job ad
// is readable by every pool user, so it carries only a one-time bootstrap credential; the
// launcher trades it once at the port registry for the real token. Only hashes are stored here
// (the credential and the launcher's key are 32 random bytes: a hash reveals nothing).
export const launcherEvents = {
  // The spawner, before condor_submit: the credential put in the job's environment.
  LauncherBootstrapIssued: z.object({
    spawnId: SpawnId,
    user: UserName,
    serverName: ServerName,
    bootstrapHash: Sha256,
    expiresAt: z.iso.datetime(),
  }),
  // The port registry gave the launcher (known by the hash of its own random key) a server token.
  // A repeat from the same launcher (its reply was lost) issues a new one and revokes this one.
  ApiTokenIssued: z.object({
    spawnId: SpawnId,
    tokenId: z.string().min(1).max(40),
    launcherKeyHash: Sha256,
    remoteAddress: z.string().max(255),
  }),
  // A valid credential presented again by another process: one of the two is not the launcher,
  // so the spawn is failed rather than left running with a token someone else holds.
  ApiTokenExchangeRefused: z.object({
    spawnId: SpawnId,
    reason: z.enum(['already-exchanged']),
    launcherKeyHash: Sha256,
    remoteAddress: z.string().max(255),
  }),
} as const;
