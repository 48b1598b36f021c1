import { z } from 'zod';
import { JobId, ServerName, SpawnId, UserName } from '../names';

// The removal saga's own stream (`removal-<spawnId>`): each step and each timeout, so an
// operator can see why a stop took as long as it did.
export const RemovalStep = z.enum(['route', 'job']);
export const removalEvents = {
  RemovalStarted: z.object({
    spawnId: SpawnId,
    user: UserName,
    serverName: ServerName,
    routeSpec: z.string().nullable(),
    jobId: JobId.nullable(),
    reason: z.string(),
  }),
  RemovalStepTimedOut: z.object({ spawnId: SpawnId, step: RemovalStep, attempt: z.number().int().min(1) }),
  RemovalCompleted: z.object({ spawnId: SpawnId }),
  // A job of this hub that no live server names (see apps/condor-poller/src/stray-jobs), removed.
  StrayJobRemoved: z.object({
    spawnId: SpawnId,
    jobId: JobId,
    owner: z.string().min(1).max(200),
    outcome: z.enum(['marked', 'not-found', 'already-removing']),
    unnamedForS: z.number().min(0),
  }),
} as const;
