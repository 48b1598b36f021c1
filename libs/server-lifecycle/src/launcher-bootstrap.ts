import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { LauncherCredential } from './launcher-credential';

/** A new one-time launcher credential for a spawn's (re)submit: its hash, never the secret. */
export interface BootstrapIssue {
  spawnId: string;
  user: string;
  serverName: string;
  bootstrapHash: string;
  /** How long the job may take to reach its first exchange, in seconds. */
  lifetimeS: number;
  /** The clock, in ms since the epoch. */
  now: number;
}

/**
 * Issues the credential that goes into the job's environment instead of the server's API token
 * (the job ad is public to the pool); the launcher trades it once for the token. A resubmit
 * issues a new one and the latest is the only one that counts (foldLauncherCredential). A
 * spawn's launcher stream belongs to one user's one server: a credential for anyone else on it
 * is refused, so a bug upstream cannot hand one server's token to another's job.
 */
export function decideLauncherBootstrap(credential: LauncherCredential, issue: BootstrapIssue): NewEvent[] {
  if (!Number.isFinite(issue.lifetimeS) || issue.lifetimeS <= 0) {
    throw new RangeError(`a launcher credential needs a positive lifetime, got ${issue.lifetimeS}`);
  }
  const earlier = credential.bootstrap;
  if (earlier && (earlier.user !== issue.user || earlier.serverName !== issue.serverName)) {
    throw new Error(
      `spawn ${issue.spawnId} belongs to ${earlier.user}/${earlier.serverName}, not ${issue.user}/${issue.serverName}`,
    );
  }
  return [
    newEvent('LauncherBootstrapIssued', {
      spawnId: issue.spawnId,
      user: issue.user,
      serverName: issue.serverName,
      bootstrapHash: issue.bootstrapHash,
      expiresAt: new Date(issue.now + issue.lifetimeS * 1000).toISOString(),
    }),
  ];
}
