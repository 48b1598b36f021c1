import type { Pool, PoolClient } from 'pg';
import { type CommandReply, type EventMetadata, rejected, serverStreamId } from '@condorhub/contracts';
import { decideAndAppendInTransaction, scheduleMessage } from '@condorhub/event-store';
import {
  type Decision,
  type LifecycleSettings,
  type ServerState,
  foldServer,
  phaseDeadline,
} from '@condorhub/server-lifecycle';

/** Where a command's decision is stored, and the lifecycle settings its phase deadline comes from. */
export interface CommandStore {
  pool: Pool;
  lifecycle: LifecycleSettings;
}

/**
 * Decides a command on the server's current state and appends the outcome at that state's
 * version (decideAndAppendInTransaction: another writer first, it decides again on the new
 * state). The deadline of the phase the outcome enters (requested, stopping) is armed in the same
 * transaction, so the spawn or stop ends even if the events after it never reach the spawner.
 * `prepare` runs first in that transaction and hands the decision what else it needs (a lock and
 * a count, say).
 */
export function appendDecision<C = undefined>(
  { pool, lifecycle }: CommandStore,
  user: string,
  serverName: string,
  decide: (
    state: ServerState,
    context: C,
  ) => {
    decision: Decision;
    metadata: EventMetadata;
    reply: () => CommandReply;
    /** Last, right before the commit: throwing rolls the whole decision back. */
    beforeCommit?: () => void;
  },
  prepare?: (tx: PoolClient) => Promise<C>,
): Promise<CommandReply> {
  const streamId = serverStreamId(user, serverName);
  return decideAndAppendInTransaction(
    pool,
    streamId,
    (stream, context: C) => {
      const state = foldServer(stream);
      const { decision, metadata, reply, beforeCommit } = decide(state, context);
      if (!decision.ok) return { events: [], result: rejected(decision.code, decision.reason) };
      return {
        events: decision.events,
        metadata,
        after: async (tx, last) => {
          if (!last) return;
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
          beforeCommit?.();
        },
        result: reply(),
      };
    },
    // Three more attempts after a saga event landed on this server's stream meanwhile.
    { prepare, attempts: 4 },
  );
}
