import type { Sql } from '../db';

/**
 * Inside a transaction: waits for the advisory lock named `key`, held until commit or rollback
 * (so a process that dies frees it with its connection).
 */
export async function advisoryXactLock(sql: Sql, key: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/** As advisoryXactLock, without waiting: false when another transaction holds it. */
export async function tryAdvisoryXactLock(sql: Sql, key: string): Promise<boolean> {
  const { rows } = await sql.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [key]);
  return rows[0].ok;
}
