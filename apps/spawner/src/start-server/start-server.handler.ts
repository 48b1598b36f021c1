import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { type CommandReply, type SpawnerCommandData, accepted, rejected, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream } from '@condorhub/event-store';
import { decideStart } from '@condorhub/server-lifecycle';
import { loadServer } from '../server-stream';

/** Start a server: refused while it is active; otherwise SpawnRequested, and the saga takes it from there. */
export class StartServerHandler {
  constructor(private readonly pool: Pool) {}

  async handle(cmd: SpawnerCommandData<'start'>): Promise<CommandReply> {
    for (let attempt = 0; ; attempt++) {
      const state = await loadServer(this.pool, cmd.user, cmd.serverName);
      const spawnId = randomUUID();
      const decision = decideStart(state, { ...cmd, spawnId });
      if (!decision.ok) return rejected(decision.code, decision.reason);
      try {
        await appendToStream(this.pool, serverStreamId(cmd.user, cmd.serverName), decision.events, {
          expectedVersion: state.streamVersion,
          metadata: { correlationId: spawnId, actor: cmd.by },
        });
        return accepted({ spawnId });
      } catch (error) {
        // Someone else changed the server meanwhile: decide again on the new state.
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        throw error;
      }
    }
  }
}
