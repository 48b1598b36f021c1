import type { Pool } from 'pg';
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
 * spawn or stop ends even if the events after it never reach the spawner.
 */
export async function appendDecision(
  { pool, lifecycle }: CommandStore,
  user: string,
  serverName: string,
  decide: (state: ServerState) => { decision: Decision; metadata: EventMetadata; reply: () => CommandReply },
): Promise<CommandReply> {
  const streamId = serverStreamId(user, serverName);
  for (let attempt = 0; ; attempt++) {
    const state = await loadServer(pool, user, serverName);
    const { decision, metadata, reply } = decide(state);
    if (!decision.ok) return rejected(decision.code, decision.reason);
    if (decision.events.length) {
      try {
        await withTransaction(pool, async (tx) => {
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
        });
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        throw error;
      }
    }
    return reply();
  }
}
