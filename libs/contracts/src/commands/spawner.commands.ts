import { z } from 'zod';
import { ServerName, UserName } from '../names';
import { SpawnOptions } from '../events/server.events';

// Commands are requests to one service; the reply says accepted or rejected with a reason.
export const spawnerCommands = {
  start: z.object({
    user: UserName,
    serverName: ServerName,
    options: SpawnOptions.default({}),
    by: z.string().min(1),
    // How long the sender waits for the reply. A start the spawner could only decide after that
    // is refused, not carried out: its requester was told the spawner did not answer.
    replyWithinMs: z.number().int().min(100).max(600_000).optional(),
  }),
  stop: z.object({ user: UserName, serverName: ServerName, by: z.string().min(1), reason: z.string().default('user') }),
  releaseNode: z.object({ host: z.string().min(1), by: z.string().min(1) }),
  // Read-only: why the job is still idle (condor_q + condor_status); the reply's result is the explanation.
  queueInfo: z.object({ jobId: z.string().regex(/^\d{1,10}\.\d{1,10}$/, 'a job id Cluster.Proc') }),
} as const;

export type SpawnerCommand = keyof typeof spawnerCommands;
export type SpawnerCommandInput<C extends SpawnerCommand> = z.input<(typeof spawnerCommands)[C]>;
export type SpawnerCommandData<C extends SpawnerCommand> = z.infer<(typeof spawnerCommands)[C]>;
