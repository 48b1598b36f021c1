import type { Pool } from 'pg';
import { type CommandReply, type SpawnerCommandData, accepted, rejected, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream } from '@condorhub/event-store';
import { decideStop } from '@condorhub/server-lifecycle';
import { loadServer } from '../server-stream';

/** Stop a server. Never asks HTCondor first: the removal saga copes with a job that is gone. */
export class StopServerHandler {
  constructor(private readonly pool: Pool) {}

  async handle(cmd: SpawnerCommandData<'stop'>): Promise<CommandReply> {
    for (let attempt = 0; ; attempt++) {
      const state = await loadServer(this.pool, cmd.user, cmd.serverName);
      const decision = decideStop(state, cmd);
      if (!decision.ok) return rejected(decision.code, decision.reason);
      if (!decision.events.length) return accepted({ spawnId: state.spawnId, phase: state.phase });
      try {
        await appendToStream(this.pool, serverStreamId(cmd.user, cmd.serverName), decision.events, {
          expectedVersion: state.streamVersion,
          metadata: { correlationId: state.spawnId, actor: cmd.by },
        });
        return accepted({ spawnId: state.spawnId, phase: 'stopping' });
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        throw error;
      }
    }
  }
}
