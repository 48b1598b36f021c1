import type { Sql } from '@condorhub/event-store';

export interface DesiredRoute {
  routeSpec: string;
  spawnId: string;
  target: string;
  owner: string;
  serverName: string;
  /** requested, or added (the proxy confirmed it). */
  state: string;
  /** Global position of the RouteRequested event: newer spawns win. */
  generation: number;
}

/** Every route the proxy converges to (the `routes` projection). */
export async function listDesiredRoutes(sql: Sql): Promise<DesiredRoute[]> {
  const { rows } = await sql.query<{
    route_spec: string;
    spawn_id: string;
    target: string;
    owner: string;
    server_name: string;
    state: string;
    position: string;
  }>(
    `SELECT route_spec, spawn_id, target, owner, server_name, state, requested_position::text AS position FROM routes`,
  );
  return rows.map((r) => ({
    routeSpec: r.route_spec,
    spawnId: r.spawn_id,
    target: r.target,
    owner: r.owner,
    serverName: r.server_name,
    state: r.state,
    generation: Number(r.position),
  }));
}
