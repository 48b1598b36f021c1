import { z } from 'zod';
import { Host, SpawnId } from '../names';

// Events of one worker node (stream `node-<host>`): strikes and quarantine.
export const nodeEvents = {
  NodeStrikeRecorded: z.object({ host: Host, spawnId: SpawnId, reason: z.string() }),
  NodeQuarantined: z.object({ host: Host, reason: z.string(), strikes: z.number().int().min(1) }),
  NodeReleased: z.object({ host: Host, by: z.string().min(1) }),
} as const;
