import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { type CommandReply, type SpawnerCommandData, accepted, rejected, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream, withTransaction } from '@condorhub/event-store';
import { type SiteLimits, decideStart } from '@condorhub/server-lifecycle';
import { appendDecision } from '../append-decision';
import { loadServer } from '../server-stream';
import { otherActiveNamedServers } from './active-named-servers';

/**
 * Start a server: refused over the site's limits or while it is active; otherwise
 * SpawnRequested, and the saga takes it from there.
 */
export class StartServerHandler {
  constructor(
    private readonly pool: Pool,
    private readonly limits: SiteLimits,
  ) {}

  async handle(cmd: SpawnerCommandData<'start'>): Promise<CommandReply> {
    if (cmd.serverName === '') {
      return appendDecision(this.pool, cmd.user, cmd.serverName, (state) => {
        const spawnId = randomUUID();
        return {
          decision: decideStart(state, { ...cmd, spawnId }, { limits: this.limits, otherActiveNamedServers: 0 }),
          metadata: { correlationId: spawnId, actor: cmd.by },
          reply: () => accepted({ spawnId }),
        };
      });
    }
    // Two starts of different named servers at once would each count the other as inactive:
    // one named start per user at a time, under a lock that lives as long as the transaction
    // that counts, decides and appends (all on its one connection).
    for (let attempt = 0; ; attempt++) {
      try {
        return await withTransaction(this.pool, async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`condorhub:start-named:${cmd.user}`]);
          const others = await otherActiveNamedServers(tx, cmd.user, cmd.serverName);
          const state = await loadServer(tx, cmd.user, cmd.serverName);
          const spawnId = randomUUID();
          const decision = decideStart(
            state,
            { ...cmd, spawnId },
            { limits: this.limits, otherActiveNamedServers: others },
          );
          if (!decision.ok) return rejected(decision.code, decision.reason);
          await appendToStream(tx, serverStreamId(cmd.user, cmd.serverName), decision.events, {
            expectedVersion: state.streamVersion,
            metadata: { correlationId: spawnId, actor: cmd.by },
          });
          return accepted({ spawnId });
        });
      } catch (error) {
        // A saga event landed on this server's stream meanwhile: decide again on the new state.
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        throw error;
      }
    }
  }
}
