import { randomUUID } from 'node:crypto';
import { type CommandReply, type SpawnerCommandData, accepted, rejected } from '@condorhub/contracts';
import { advisoryXactLock } from '@condorhub/event-store';
import { type SiteLimits, decideStart } from '@condorhub/server-lifecycle';
import { type CommandStore, appendDecision } from '../append-decision';
import { ActiveNamedServers } from './active-named-servers';

/**
 * What is kept back from the requester's wait for the reply to travel back and the append to
 * commit after the decision: a fifth of it, at most a second.
 */
const replyMargin = (cmd: { replyWithinMs?: number }) => Math.min(1_000, (cmd.replyWithinMs ?? 0) / 5);

/** A start whose requester has stopped waiting: rolled back, nothing stored. */
class TooLate extends Error {}

/**
 * Start a server: refused over the site's limits or while it is active; otherwise
 * SpawnRequested, and the saga takes it from there.
 */
export class StartServerHandler {
  private readonly namedServers = new ActiveNamedServers();

  constructor(
    private readonly store: CommandStore,
    private readonly limits: SiteLimits,
  ) {}

  /** `receivedAt`: when the command arrived, by this process's clock (ms). */
  async handle(cmd: SpawnerCommandData<'start'>, receivedAt = Date.now()): Promise<CommandReply> {
    const giveUpAt = cmd.replyWithinMs === undefined ? Infinity : receivedAt + cmd.replyWithinMs - replyMargin(cmd);
    const tooLate = `spawner could not decide within ${cmd.replyWithinMs} ms; nothing was started, try again`;
    try {
      return await this.decide(cmd, giveUpAt);
    } catch (error) {
      if (error instanceof TooLate) return rejected('unavailable', tooLate);
      throw error;
    }
  }

  private decide(cmd: SpawnerCommandData<'start'>, giveUpAt: number): Promise<CommandReply> {
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
          // Decided, appended and its deadline armed only now (behind other starts of this user,
          // a lock, a busy database): the requester has stopped waiting and was told the spawner
          // did not answer, so nothing may start behind its back. Checked last, so only the
          // commit and the reply are left to fit in the margin.
          beforeCommit: () => {
            if (Date.now() > giveUpAt) throw new TooLate();
          },
        };
      },
      // Two starts of different named servers at once would each count the other as inactive:
      // one named start per user at a time, under a lock held by the transaction that counts,
      // decides and appends.
      async (tx) => {
        if (cmd.serverName === '') return 0;
        await advisoryXactLock(tx, `condorhub:start-named:${cmd.user}`);
        return this.namedServers.countOthers(tx, cmd.user, cmd.serverName);
      },
    );
  }
}
