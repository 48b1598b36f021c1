import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { notifyAppended } from './sql/notify-appended';

/** What every store function needs: a pool, a pooled client or a transaction. */
export interface Sql {
  query<R extends Record<string, any> = Record<string, any>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface DatabaseOptions {
  url: string;
  /** Every table lives in this schema; tests use one schema per test file. */
  schema?: string;
  /** Schemas searched after `schema`: a rebuild writes its own tables but reads the live events. */
  extraSearchPath?: string[];
  max?: number;
  /** Server-side limit on each statement, so a stuck query fails instead of hanging. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
}

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function poolConfig(opts: DatabaseOptions): PoolConfig {
  const schema = opts.schema ?? 'public';
  const searchPath = [schema, ...(opts.extraSearchPath ?? [])];
  for (const s of searchPath) if (!SCHEMA_NAME.test(s)) throw new Error(`invalid schema name "${s}"`);
  return {
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // Sent in the startup packet, so every connection of the pool sees the same schema
    // without an extra round trip.
    options: `-c search_path=${searchPath.join(',')} -c statement_timeout=${opts.statementTimeoutMs ?? 15_000}`,
    application_name: opts.applicationName ?? 'condorhub',
  };
}

export function createPool(opts: DatabaseOptions): Pool {
  const pool = new Pool(poolConfig(opts));
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Clients inside withTransaction, and those of them that appended events. */
const inTransaction = new WeakSet<object>();
const appendedIn = new WeakSet<object>();

/**
 * Called by appendToStream: true when `sql` is a withTransaction client, which then wakes the
 * readers after its commit; false when the caller must do it (the append has committed).
 */
export function deferNotifyToCommit(sql: Sql): boolean {
  if (!inTransaction.has(sql)) return false;
  appendedIn.add(sql);
  return true;
}

/** Runs fn in one transaction; rolls back on any error; wakes event readers after a commit that appended. */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  inTransaction.add(client);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    // After the commit (see notify-appended.ts); readers poll if this is lost.
    if (appendedIn.has(client)) await notifyAppended(client).catch(() => undefined);
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    inTransaction.delete(client);
    appendedIn.delete(client);
    client.release();
  }
}
