import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import { type EventEnvelope, inLogOrder, serverStreamId, spawnSideStreamIds, userStreamId } from '@condorhub/contracts';
import { type Checkpoint, readCheckpoint, readStream, streamVersion } from '@condorhub/event-store';
import { READ_MODELS_PROCESSOR, ServerRow, UserRow } from '@condorhub/read-models';
import { CONFIG, PG_POOL, READ_MODELS } from '@condorhub/runtime';
import { type ServerState, foldServer, initialServerState } from '@condorhub/server-lifecycle';
import { type UserState, foldUser } from '@condorhub/users';

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
    return (await this.ds.getRepository(UserRow).findOne({ where: { name } })) !== null;
  }

  /** The user, if they exist: their stream decides; users known only from a spawn come from the read model. */
  async user(name: string): Promise<HubUser | undefined> {
    const [stream, row, activity] = await Promise.all([
      this.userStream(name),
      this.ds.getRepository(UserRow).findOne({ where: { name } }),
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
    const [rows, { rows: acts }, tail] = await Promise.all([
      this.ds.getRepository(UserRow).find(),
      this.pool.query<{ user_name: string; last_activity: Date }>('SELECT user_name, last_activity FROM user_activity'),
      this.userEventsAfter(checkpoint),
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
    const activity = new Map(acts.map((a) => [a.user_name, a.last_activity]));
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

  /** The user events (and spawns, which make users) after a checkpoint, in log order. */
  private async userEventsAfter(checkpoint: Checkpoint): Promise<{ type: string; data: unknown; recordedAt: Date }[]> {
    const { rows } = await this.pool.query<{ type: string; data: unknown; recorded_at: Date }>(
      `SELECT type, data, recorded_at FROM events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          AND type IN ('UserCreated', 'UserAdminChanged', 'UserDeleted', 'SpawnRequested')
        ORDER BY transaction_id, global_position`,
      [checkpoint.transactionId, checkpoint.globalPosition],
    );
    return rows.map((r) => ({ type: r.type, data: r.data, recordedAt: r.recorded_at }));
  }

  /** One server's current state, including events the projector has not caught up with. */
  async server(user: string, serverName: string): Promise<ServerState> {
    const row = await this.ds.getRepository(ServerRow).findOne({ where: { userName: user, serverName } });
    return this.catchUp(serverStreamId(user, serverName), row?.state);
  }

  /** Every server of a user that has a stream, by name, current as above. */
  async servers(user: string): Promise<Map<string, ServerState>> {
    const prefix = serverStreamId(user, '');
    const [{ rows: streams }, rows] = await Promise.all([
      this.pool.query<{ stream_id: string; version: string }>(
        'SELECT stream_id, version::text AS version FROM streams WHERE left(stream_id, length($1)) = $1',
        [prefix],
      ),
      this.ds.getRepository(ServerRow).find({ where: { userName: user } }),
    ]);
    const byName = new Map(rows.map((r) => [r.serverName, r.state]));
    const out = new Map<string, ServerState>();
    for (const s of streams) {
      const name = s.stream_id.slice(prefix.length);
      const known = byName.get(name);
      out.set(name, known && known.streamVersion >= Number(s.version) ? known : await this.catchUp(s.stream_id, known));
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
    const { rows } = await this.pool.query<{ v: string }>(
      `SELECT stream_version::text AS v FROM events
        WHERE stream_id = $1 AND type = 'SpawnRequested' AND data->>'spawnId' = $2 LIMIT 1`,
      [serverStreamId(user, serverName), spawnId],
    );
    return rows.length ? Number(rows[0].v) : undefined;
  }

  async userActivity(user: string): Promise<Date | null> {
    const { rows } = await this.pool.query<{ last_activity: Date }>(
      'SELECT last_activity FROM user_activity WHERE user_name = $1',
      [user],
    );
    return rows[0]?.last_activity ?? null;
  }

  async serverActivity(user: string): Promise<Map<string, Date>> {
    const { rows } = await this.pool.query<{ server_name: string; last_activity: Date }>(
      'SELECT server_name, last_activity FROM server_activity WHERE user_name = $1',
      [user],
    );
    return new Map(rows.map((r) => [r.server_name, r.last_activity]));
  }

  /**
   * Moves users' and servers' last_activity forward; an older timestamp than the stored one
   * changes nothing (as JupyterHub). One statement per table, however many entries.
   */
  async recordActivity(
    users: Iterable<[user: string, at: Date]>,
    servers: Iterable<[user: string, server: string, at: Date]>,
  ): Promise<void> {
    // One row per key: a statement's ON CONFLICT may touch each row once.
    const u = new Map<string, Date>();
    for (const [user, at] of users) u.set(user, latest(u.get(user) ?? null, at)!);
    const sv = new Map<string, [string, string, Date]>();
    for (const [user, server, at] of servers) {
      const key = JSON.stringify([user, server]);
      sv.set(key, [user, server, latest(sv.get(key)?.[2] ?? null, at)!]);
    }
    if (u.size) {
      await this.pool.query(
        `INSERT INTO user_activity (user_name, last_activity) SELECT * FROM unnest($1::text[], $2::timestamptz[])
         ON CONFLICT (user_name) DO UPDATE SET last_activity = GREATEST(user_activity.last_activity, EXCLUDED.last_activity)`,
        [[...u.keys()], [...u.values()]],
      );
    }
    if (sv.size) {
      const rows = [...sv.values()];
      await this.pool.query(
        `INSERT INTO server_activity (user_name, server_name, last_activity)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT (user_name, server_name)
         DO UPDATE SET last_activity = GREATEST(server_activity.last_activity, EXCLUDED.last_activity)`,
        [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
      );
    }
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
