import { randomUUID } from 'node:crypto';
import { type CommandReply, type SpawnerCommandData, accepted } from '@condorhub/contracts';
import { decideStart } from '@condorhub/server-lifecycle';
import { type CommandStore, appendDecision } from '../append-decision';

/** Start a server: refused while it is active; otherwise SpawnRequested, and the saga takes it from there. */
export class StartServerHandler {
  constructor(private readonly store: CommandStore) {}

  handle(cmd: SpawnerCommandData<'start'>): Promise<CommandReply> {
    return appendDecision(this.store, cmd.user, cmd.serverName, (state) => {
      const spawnId = randomUUID();
      return {
        decision: decideStart(state, { ...cmd, spawnId }),
        metadata: { correlationId: spawnId, actor: cmd.by },
        reply: () => accepted({ spawnId }),
      };
    });
  }
}
