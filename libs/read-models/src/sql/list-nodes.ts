import type { Sql } from '@condorhub/event-store';

export interface NodeSummary {
  host: string;
  state: string;
  strikes: number;
  spawnsStarted: number;
  quarantineReason: string | null;
}

/** Every worker node that has run a spawn, by host: its state, strikes since release and spawns. */
export async function listNodes(sql: Sql): Promise<NodeSummary[]> {
  const { rows } = await sql.query<{
    host: string;
    state: string;
    strikes: number;
    spawns_started: number;
    quarantine_reason: string | null;
  }>(
    `SELECT host, state, jsonb_array_length(strikes) AS strikes, spawns_started, quarantine_reason
       FROM nodes ORDER BY host`,
  );
  return rows.map((r) => ({
    host: r.host,
    state: r.state,
    strikes: r.strikes,
    spawnsStarted: r.spawns_started,
    quarantineReason: r.quarantine_reason,
  }));
}
