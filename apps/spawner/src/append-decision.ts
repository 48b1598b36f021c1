import type { Pool, PoolClient } from 'pg';
import { type CommandReply, type EventMetadata, rejected, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream, scheduleMessage, withTransaction } from '@condorhub/event-store';
import {
  type Decision,
  type LifecycleSettings,
  type ServerState,
  foldServer,
  phaseDeadline,
} from '@condorhub/server-lifecycle';
import { loadServer } from './server-stream';

/** Where a command's decision is stored, and the lifecycle settings its phase deadline comes from. */
export interface CommandStore {
  pool: Pool;
  lifecycle: LifecycleSettings;
}

/**
 * Decides a command on the server's current state and appends the outcome with that state's
 * version; when another writer got there first, decides again on the new state. The deadline
 * of the phase the outcome enters (requested, stopping) is armed in the same transaction, so the
 * spawn or stop ends even if the events after it never reach the spawner. `prepare` runs first in
 * that transaction and hands the decision what else it needs (a lock and a count, say).
 */
export async function appendDecision<C = undefined>(
  { pool, lifecycle }: CommandStore,
  user: string,
  serverName: string,
  decide: (
    state: ServerState,
    context: C,
  ) => { decision: Decision; metadata: EventMetadata; reply: () => CommandReply },
  prepare?: (tx: PoolClient) => Promise<C>,
): Promise<CommandReply> {
  const streamId = serverStreamId(user, serverName);
  for (let attempt = 0; ; attempt++) {
    try {
      return await withTransaction(pool, async (tx) => {
        const context = (prepare ? await prepare(tx) : undefined) as C;
        const state = await loadServer(tx, user, serverName);
        const { decision, metadata, reply } = decide(state, context);
        if (!decision.ok) return rejected(decision.code, decision.reason);
        if (!decision.events.length) return reply();
        const { last } = await appendToStream(tx, streamId, decision.events, {
          expectedVersion: state.streamVersion,
          metadata,
        });
        // The events' own contents fold into the state the deadline is for.
        const entered = foldServer(
          decision.events.map(
            (e, i) =>
              ({ ...last, type: e.type, data: e.data, streamVersion: state.streamVersion + i + 1 }) as typeof last,
          ),
          state,
        );
        const deadline = phaseDeadline(entered, lifecycle);
        if (deadline) {
          const dueAt = new Date(Date.now() + deadline.dueInS * 1000);
          await scheduleMessage(tx, deadline.key, streamId, deadline.event, dueAt, metadata);
        }
        return reply();
      });
    } catch (error) {
      // A saga event landed on this server's stream meanwhile: decide again on the new state.
      if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
      throw error;
    }
  }
}
