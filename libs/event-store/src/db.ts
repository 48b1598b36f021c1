import { Pool, type PoolClient, type PoolConfig } from 'pg';

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

/** Clients inside withTransaction, with what to run after their commit. */
const afterCommitOf = new WeakMap<object, ((pool: Pool) => void)[]>();

/**
 * When `sql` is a withTransaction client: runs `fn` with the pool after the commit (not after a
 * rollback) and returns true. Otherwise returns false: there is no transaction to wait for.
 * (appendToStream wakes the readers this way; db.ts knows nothing of wake-ups.)
 */
export function afterCommit(sql: Sql, fn: (pool: Pool) => void): boolean {
  const callbacks = afterCommitOf.get(sql);
  if (!callbacks) return false;
  callbacks.push(fn);
  return true;
}

/** Runs fn in one transaction; rolls back on any error; then runs the afterCommit callbacks. */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const callbacks: ((pool: Pool) => void)[] = [];
  afterCommitOf.set(client, callbacks);
  let result: T;
  try {
    await client.query('BEGIN');
    result = await fn(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    afterCommitOf.delete(client);
    client.release();
  }
  // On the pool, after the release: the client may be someone else's by the time they run.
  for (const cb of callbacks) cb(pool);
  return result;
}
