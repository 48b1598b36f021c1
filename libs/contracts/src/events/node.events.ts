import { z } from 'zod';
import { Host, SpawnId, UserName } from '../names';

// Events of one worker node (stream `node-<host>`): strikes and quarantine.
export const nodeEvents = {
  // `user`: whose spawn failed there (quarantine needs several users; absent before 0.3).
  NodeStrikeRecorded: z.object({ host: Host, spawnId: SpawnId, user: UserName.optional(), reason: z.string() }),
  NodeQuarantined: z.object({ host: Host, reason: z.string(), strikes: z.number().int().min(1) }),
  NodeReleased: z.object({ host: Host, by: z.string().min(1) }),
} as const;
