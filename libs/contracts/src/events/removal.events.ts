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
} as const;
