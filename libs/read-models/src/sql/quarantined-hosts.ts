import type { Sql } from '@condorhub/event-store';

/** The worker nodes in quarantine now, as the projector last saw them. */
export async function quarantinedHosts(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ host: string }>(`SELECT host FROM nodes WHERE state = 'quarantined'`);
  return rows.map((r) => r.host);
}
