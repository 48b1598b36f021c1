import { randomUUID } from 'node:crypto';
import { type CommandReply, type SpawnerCommandData, accepted } from '@condorhub/contracts';
import { advisoryXactLock } from '@condorhub/event-store';
import { type SiteLimits, decideStart } from '@condorhub/server-lifecycle';
import { type CommandStore, appendDecision } from '../append-decision';
import { otherActiveNamedServers } from './active-named-servers';

/**
 * Start a server: refused over the site's limits or while it is active; otherwise
 * SpawnRequested, and the saga takes it from there.
 */
export class StartServerHandler {
  constructor(
    private readonly store: CommandStore,
    private readonly limits: SiteLimits,
  ) {}

  handle(cmd: SpawnerCommandData<'start'>): Promise<CommandReply> {
    return appendDecision(
      this.store,
      cmd.user,
      cmd.serverName,
      (state, otherNamed: number) => {
        const spawnId = randomUUID();
        return {
          decision: decideStart(
            state,
            { ...cmd, spawnId },
            { limits: this.limits, otherActiveNamedServers: otherNamed },
          ),
          metadata: { correlationId: spawnId, actor: cmd.by },
          reply: () => accepted({ spawnId }),
        };
      },
      // Two starts of different named servers at once would each count the other as inactive:
      // one named start per user at a time, under a lock held by the transaction that counts,
      // decides and appends.
      async (tx) => {
        if (cmd.serverName === '') return 0;
        await advisoryXactLock(tx, `condorhub:start-named:${cmd.user}`);
        return otherActiveNamedServers(tx, cmd.user, cmd.serverName);
      },
    );
  }
}
