import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import {
  type DatabaseOptions,
  type Migration,
  createPool,
  eventStoreMigrations,
  migrate,
} from '@condorhub/event-store';

export const TEST_DATABASE_URL =
  process.env.CONDORHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: DatabaseOptions;
  pool: Pool;
  schema: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/**
 * A fresh schema with every migration applied: one per test file, so files can run in
 * parallel and re-run on a dirty machine. Schemas of crashed runs are named t_… and old
 * ones are swept here.
 */
export async function createTestDatabase(label = 'test', migrations: Migration[] = []): Promise<TestDatabase> {
  const schema = `t_${label.replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const db: DatabaseOptions = { url: TEST_DATABASE_URL, schema, max: 12, applicationName: `test:${label}` };
  const pool = createPool(db);
  await migrate(pool, schema, [...eventStoreMigrations, ...migrations]);
  return {
    db,
    pool,
    schema,
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
