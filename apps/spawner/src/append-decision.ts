import type { Pool } from 'pg';
import { type CommandReply, type EventMetadata, rejected, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream } from '@condorhub/event-store';
import type { Decision, ServerState } from '@condorhub/server-lifecycle';
import { loadServer } from './server-stream';

/**
 * Decides a command on the server's current state and appends the outcome with that state's
 * version; when another writer got there first, decides again on the new state.
 */
export async function appendDecision(
  pool: Pool,
  user: string,
  serverName: string,
  decide: (state: ServerState) => { decision: Decision; metadata: EventMetadata; reply: () => CommandReply },
): Promise<CommandReply> {
  for (let attempt = 0; ; attempt++) {
    const state = await loadServer(pool, user, serverName);
    const { decision, metadata, reply } = decide(state);
    if (!decision.ok) return rejected(decision.code, decision.reason);
    if (decision.events.length) {
      try {
        await appendToStream(pool, serverStreamId(user, serverName), decision.events, {
          expectedVersion: state.streamVersion,
          metadata,
        });
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < 3) continue;
        throw error;
      }
    }
    return reply();
  }
}
