import { Client, Pool } from 'pg';
import type { Sql } from '../db';

/**
 * `text` as a named statement where `sql` is a pg pool or client: parsed and planned once per
 * connection, then only executed. Any other Sql (TypeORM's query runner) runs it unnamed.
 */
export function preparedQuery<R extends Record<string, any> = Record<string, any>>(
  sql: Sql,
  name: string,
  text: string,
  values?: unknown[],
): Promise<{ rows: R[]; rowCount: number | null }> {
  return sql instanceof Pool || sql instanceof Client
    ? sql.query<R>({ name, text, values })
    : sql.query<R>(text, values);
}
