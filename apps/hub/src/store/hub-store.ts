import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import { type EventEnvelope, inLogOrder, serverStreamId, spawnSideStreamIds, userStreamId } from '@condorhub/contracts';
import {
  findEventVersion,
  listStreamVersions,
  readCheckpoint,
  readStream,
  readTypesAfter,
  streamVersion,
} from '@condorhub/event-store';
import { READ_MODELS_PROCESSOR, findServer, findUser, listServers, listUsers } from '@condorhub/read-models';
import { CONFIG, PG_POOL, READ_MODELS } from '@condorhub/runtime';
import { type ServerState, foldServer, initialServerState } from '@condorhub/server-lifecycle';
import { type UserState, foldUser } from '@condorhub/users';
import { readAllUserActivity, readServerActivity, readUserActivity, recordActivity } from './activity';

/** The user events (and spawns, which make users) a user list applies on top of the read model. */
const USER_EVENT_TYPES = ['UserCreated', 'UserAdminChanged', 'UserDeleted', 'SpawnRequested'];

export interface HubUser {
  name: string;
  admin: boolean;
  createdAt: Date;
  lastActivity: Date | null;
}

/** A user's own record from their stream: created, deleted, or never seen there. */
export type UserStreamState = UserState;

/**
 * The hub's reads. What a request just changed must be visible to the next request (start,
 * then GET the user), so per-user reads take the read model and fold the few events it has
 * not projected yet; lists read the read model alone.
 */
@Injectable()
export class HubStore {
  constructor(
    @Inject(PG_POOL) readonly pool: Pool,
    @Inject(READ_MODELS) private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  isConfigAdmin(name: string): boolean {
    return this.config.CONDORHUB_ADMIN_USERS.includes(name);
  }

  async userStream(name: string): Promise<UserStreamState> {
    return foldUser(await readStream(this.pool, userStreamId(name)));
  }

  /** Whether the read model knows the user: a user who only ever spawned has no stream of their own. */
  async knownFromSpawns(name: string): Promise<boolean> {
    return (await findUser(this.ds, name)) !== null;
  }

  /** The user, if they exist: their stream decides; users known only from a spawn come from the read model. */
  async user(name: string): Promise<HubUser | undefined> {
    const [stream, row, activity] = await Promise.all([
      this.userStream(name),
      findUser(this.ds, name),
      this.userActivity(name),
    ]);
    if (stream.version > 0 && !stream.exists) return undefined;
    if (!stream.exists && !row) return undefined;
    return {
      name,
      // The stream is newer than the read model (a PATCH just now): it decides when it exists.
      admin: (stream.exists ? stream.admin : (row?.admin ?? false)) || this.isConfigAdmin(name),
      createdAt: stream.createdAt ?? row!.createdAt,
      lastActivity: latest(activity, row?.lastActivity ?? null),
    };
  }

  /**
   * Every user: the read model, with the user events it has not projected yet applied the way
   * the projector will (so a user created, deleted or made admin a moment ago is listed as
   * such). The tail after the projector's checkpoint is short while the projector runs.
   */
  async listUsers(): Promise<HubUser[]> {
    // The checkpoint first: the rows read after it are at least that current, and applying
    // again an event they already hold ends in the same users (every step overwrites or is
    // conditional on the state the earlier steps leave).
    const checkpoint = await readCheckpoint(this.pool, READ_MODELS_PROCESSOR);
    const [rows, activity, tail] = await Promise.all([
      listUsers(this.ds),
      readAllUserActivity(this.pool),
      readTypesAfter(this.pool, checkpoint, USER_EVENT_TYPES),
    ]);
    const users = new Map(rows.map((r) => [r.name, { name: r.name, admin: r.admin, createdAt: r.createdAt }]));
    for (const e of tail) {
      const d = e.data as { name?: string; user?: string; admin?: boolean };
      if (e.type === 'UserCreated' && d.name)
        users.set(d.name, { name: d.name, admin: d.admin === true, createdAt: e.recordedAt });
      else if (e.type === 'UserAdminChanged' && d.name && users.has(d.name))
        users.get(d.name)!.admin = d.admin === true;
      else if (e.type === 'UserDeleted' && d.name) users.delete(d.name);
      else if (e.type === 'SpawnRequested' && d.user && !users.has(d.user))
        users.set(d.user, { name: d.user, admin: false, createdAt: e.recordedAt });
    }
    const byName = new Map(rows.map((r) => [r.name, r]));
    return [...users.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((u) => ({
        name: u.name,
        admin: u.admin || this.isConfigAdmin(u.name),
        createdAt: u.createdAt,
        lastActivity: latest(activity.get(u.name) ?? null, byName.get(u.name)?.lastActivity ?? null),
      }));
  }

  /** One server's current state, including events the projector has not caught up with. */
  async server(user: string, serverName: string): Promise<ServerState> {
    const row = await findServer(this.ds, user, serverName);
    return this.catchUp(serverStreamId(user, serverName), row?.state);
  }

  /** Every server of a user that has a stream, by name, current as above. */
  async servers(user: string): Promise<Map<string, ServerState>> {
    const prefix = serverStreamId(user, '');
    const [streams, rows] = await Promise.all([
      listStreamVersions(this.pool, { prefix }),
      listServers(this.ds, { user }),
    ]);
    const byName = new Map(rows.map((r) => [r.serverName, r.state]));
    const out = new Map<string, ServerState>();
    for (const s of streams) {
      const name = s.streamId.slice(prefix.length);
      const known = byName.get(name);
      out.set(name, known && known.streamVersion >= s.version ? known : await this.catchUp(s.streamId, known));
    }
    return out;
  }

  /** Whether a server has ever existed (its stream has events). */
  async serverExists(user: string, serverName: string): Promise<boolean> {
    return (await streamVersion(this.pool, serverStreamId(user, serverName))) > 0;
  }

  private async catchUp(streamId: string, state: ServerState | undefined): Promise<ServerState> {
    const from = state ?? initialServerState();
    const rest = await readStream(this.pool, streamId, from.streamVersion + 1);
    return rest.length ? foldServer(rest, from) : from;
  }

  /** The events of one spawn in order, from its SpawnRequested on. */
  async spawnEvents(user: string, serverName: string, spawnId: string): Promise<EventEnvelope[]> {
    const from = await this.spawnStartVersion(user, serverName, spawnId);
    if (from === undefined) return [];
    const events = await readStream(this.pool, serverStreamId(user, serverName), from);
    // A stray job of this spawn removed, how its launcher got the token: part of its story.
    const side = await Promise.all(spawnSideStreamIds(spawnId).map((id) => readStream(this.pool, id)));
    return [...events.filter((e) => (e.data as any)?.spawnId === spawnId), ...side.flat()].sort(inLogOrder);
  }

  /** Version of the current spawn's SpawnRequested, where a progress stream starts reading. */
  async spawnStartVersion(user: string, serverName: string, spawnId: string): Promise<number | undefined> {
    return findEventVersion(this.pool, serverStreamId(user, serverName), 'SpawnRequested', 'spawnId', spawnId);
  }

  userActivity(user: string): Promise<Date | null> {
    return readUserActivity(this.pool, user);
  }

  serverActivity(user: string): Promise<Map<string, Date>> {
    return readServerActivity(this.pool, user);
  }

  /**
   * Moves users' and servers' last_activity forward; an older timestamp than the stored one
   * changes nothing (as JupyterHub).
   */
  async recordActivity(
    users: Iterable<[user: string, at: Date]>,
    servers: Iterable<[user: string, server: string, at: Date]>,
  ): Promise<void> {
    // One entry per key, the latest.
    const u = new Map<string, Date>();
    for (const [user, at] of users) u.set(user, latest(u.get(user) ?? null, at)!);
    const sv = new Map<string, [string, string, Date]>();
    for (const [user, server, at] of servers) {
      const key = JSON.stringify([user, server]);
      sv.set(key, [user, server, latest(sv.get(key)?.[2] ?? null, at)!]);
    }
    await recordActivity(this.pool, u, [...sv.values()]);
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
