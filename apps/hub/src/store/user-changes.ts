import type { Pool } from 'pg';
import { type EventEnvelope, type NewEvent, groupStreamId, userStreamId } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { type GroupCommand, type UserCommand, decideGroup, decideUser, foldGroup, foldUser } from '@condorhub/users';

/** How a user or group command ended: recorded, nothing to record, refused, or lost to writers. */
export type ChangeOutcome = 'recorded' | 'unchanged' | 'exists' | 'missing' | 'conflict';

/** Decides a user command on the user's stream and records it, deciding again if another writer got in first. */
export function changeUser(pool: Pool, cmd: UserCommand, actor: string): Promise<ChangeOutcome> {
  return decide(pool, userStreamId(cmd.name), (events) => decideUser(foldUser(events), cmd), actor);
}

/** As changeUser, for a group. */
export function changeGroup(pool: Pool, name: string, cmd: GroupCommand, actor: string): Promise<ChangeOutcome> {
  return decide(pool, groupStreamId(name), (events) => decideGroup(foldGroup(name, events), cmd), actor);
}

async function decide(
  pool: Pool,
  streamId: string,
  decision: (events: EventEnvelope[]) => { ok: true; events: NewEvent[] } | { ok: false; code: 'exists' | 'missing' },
  actor: string,
): Promise<ChangeOutcome> {
  let refused: 'exists' | 'missing' | undefined;
  const result = await decideAndAppend(
    pool,
    streamId,
    (events) => {
      const d = decision(events);
      refused = d.ok ? undefined : d.code;
      return d.ok && d.events.length ? { events: d.events } : undefined;
    },
    { metadata: { actor } },
  );
  if (result === 'declined') return refused ?? 'unchanged';
  // The ids are fresh, so a duplicate is this very append already stored.
  return result === 'conflict' ? 'conflict' : 'recorded';
}
