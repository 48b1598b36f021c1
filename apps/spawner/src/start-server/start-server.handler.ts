import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { type CommandReply, type SpawnerCommandData, accepted } from '@condorhub/contracts';
import { withTransaction } from '@condorhub/event-store';
import { type SiteLimits, decideStart } from '@condorhub/server-lifecycle';
import { appendDecision } from '../append-decision';
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
    const decide = (otherActive: number) =>
      appendDecision(this.pool, cmd.user, cmd.serverName, (state) => {
        const spawnId = randomUUID();
        return {
          decision: decideStart(
            state,
            { ...cmd, spawnId },
            { limits: this.limits, otherActiveNamedServers: otherActive },
          ),
          metadata: { correlationId: spawnId, actor: cmd.by },
          reply: () => accepted({ spawnId }),
        };
      });
    if (cmd.serverName === '') return decide(0);
    // Two starts of different named servers at once would each count the other as inactive:
    // one named start per user at a time (a transaction-scoped lock, held only while deciding).
    return withTransaction(this.pool, async (lock) => {
      await lock.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`condorhub:start-named:${cmd.user}`]);
      return decide(await otherActiveNamedServers(this.pool, cmd.user, cmd.serverName));
    });
  }
}
