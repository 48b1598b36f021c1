import { type CommandReply, type SpawnerCommandData, accepted } from '@condorhub/contracts';
import { decideStop } from '@condorhub/server-lifecycle';
import { type CommandStore, appendDecision } from '../append-decision';

/** Stop a server. Never asks HTCondor first: the removal saga copes with a job that is gone. */
export class StopServerHandler {
  constructor(private readonly store: CommandStore) {}

  handle(cmd: SpawnerCommandData<'stop'>): Promise<CommandReply> {
    return appendDecision(this.store, cmd.user, cmd.serverName, (state) => ({
      decision: decideStop(state, cmd),
      metadata: { correlationId: state.spawnId, actor: cmd.by },
      reply: () => accepted({ spawnId: state.spawnId, phase: 'stopping' }),
    }));
  }
}
