import { z } from 'zod';
import { JobId, SpawnId } from '../names';

// The `removal-<spawnId>` stream: removals made outside a server's own stop, which lives on the
// server's stream (RouteRemovalRequested → JobRemovalRequested → ServerStopped).
export const removalEvents = {
  // A job of this hub that no live server names (see apps/condor-poller/src/stray-jobs), removed.
  StrayJobRemoved: z.object({
    spawnId: SpawnId,
    jobId: JobId,
    owner: z.string().min(1).max(200),
    outcome: z.enum(['marked', 'not-found', 'already-removing']),
    unnamedForS: z.number().min(0),
  }),
} as const;
