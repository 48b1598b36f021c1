import type { Pool } from 'pg';
import { withTransaction } from '../db';

export interface Migration {
  /** Sortable and never renamed once released: it is the row in schema_migrations. */
  id: string;
  sql: string;
}

/**
 * Applies the migrations not yet recorded, in order, each in its own transaction, inside the
 * pool's schema (created if missing). Safe to run from several processes at once.
 */
export async function migrate(pool: Pool, schema: string, migrations: Migration[]): Promise<string[]> {
  const applied: string[] = [];
  await withTransaction(pool, async (tx) => {
    // Under the migrators' lock too: two concurrent CREATE … IF NOT EXISTS may both find
    // nothing and one then fails on a catalog's unique index (every service of a fresh
    // deployment starts at once on an empty database).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  for (const migration of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
    await withTransaction(pool, async (tx) => {
      // One migrator per schema at a time; the others wait, then see the row and skip.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
      const { rowCount } = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
      if (rowCount) return;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      applied.push(migration.id);
    });
  }
  return applied;
}
