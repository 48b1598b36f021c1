import { parseServerStreamId, serverStreamId } from '@condorhub/contracts';
import { type Sql, listStreamVersions, readStreamsAfter } from '@condorhub/event-store';
import { type ServerState, foldServer, isActive } from '@condorhub/server-lifecycle';

/** Folded states kept at most for this many server streams (then forgotten, and read again). */
const MAX_KEPT = 50_000;

/**
 * How many of a user's named servers other than one are active, folded from the store (not a
 * read model, which may lag behind a start just accepted). The folded states are kept, so each
 * count reads only the events appended since the last one: a user starting 200 named servers
 * at once would otherwise have every start, under the user's lock, read and fold them all.
 */
export class ActiveNamedServers {
  private readonly states = new Map<string, ServerState>();

  constructor(private readonly maxKept = MAX_KEPT) {}

  async countOthers(sql: Sql, user: string, except: string): Promise<number> {
    const prefix = serverStreamId(user, '');
    const versions = await listStreamVersions(sql, { category: 'server', prefix });
    // The states this count starts from, taken before the read: whatever the shared map
    // forgets meanwhile (another user's count, full), each event is folded onto the state it
    // follows, and a stream not read is one whose state is here.
    const known = new Map<string, ServerState>();
    const behind = new Map<string, number>();
    for (const { streamId, version } of versions) {
      const state = this.states.get(streamId);
      if (state) known.set(streamId, state);
      const at = state?.streamVersion ?? 0;
      if (at < version) behind.set(streamId, at);
    }
    const fresh = await readStreamsAfter(sql, behind);
    if (this.states.size + fresh.size > this.maxKept) this.states.clear();
    let active = 0;
    for (const { streamId } of versions) {
      const name = parseServerStreamId(streamId)?.serverName;
      if (!name) continue;
      // Events are never changed or removed: a state folded to version n stays true up to n.
      const events = fresh.get(streamId);
      const before = known.get(streamId);
      const state = events ? foldServer(events, before) : before;
      if (!state) continue;
      if (events) this.states.set(streamId, state);
      if (name !== except && isActive(state)) active++;
    }
    return active;
  }
}
