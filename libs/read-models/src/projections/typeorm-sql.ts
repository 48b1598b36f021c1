import type { EntityManager } from 'typeorm';
import type { Sql } from '@condorhub/event-store';

/** The store's SQL functions over a TypeORM transaction, so both commit together. */
export function sqlOf(em: EntityManager): Sql {
  return {
    async query(text, values) {
      const result = await em.queryRunner!.query(text, values as any[], true);
      return { rows: result.records ?? [], rowCount: result.affected ?? null };
    },
  };
}
