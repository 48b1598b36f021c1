import type { Pool } from 'pg';
import { groupStreamId } from '@condorhub/contracts';
import { readStream, readStreamsByPrefix } from '@condorhub/event-store';
import { type GroupState, foldGroup } from '@condorhub/users';

export { type GroupState, foldGroup };

export async function readGroup(pool: Pool, name: string): Promise<GroupState> {
  return foldGroup(name, await readStream(pool, groupStreamId(name)));
}

/** Every existing group, by name: one query over all group streams (sites have few groups). */
export async function readAllGroups(pool: Pool): Promise<GroupState[]> {
  const streams = await readStreamsByPrefix(pool, 'group', groupStreamId(''));
  const prefix = groupStreamId('').length;
  return [...streams]
    .map(([streamId, events]) => foldGroup(streamId.slice(prefix), events))
    .filter((g) => g.exists)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The groups each user belongs to, by user name. */
export function groupsByUser(groups: GroupState[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of groups) for (const u of g.users) out.set(u, [...(out.get(u) ?? []), g.name]);
  return out;
}
