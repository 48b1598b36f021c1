import type { DataSource, EntityManager } from 'typeorm';
import type { Pool } from 'pg';
import { type DatabaseOptions, EventProcessor } from '@condorhub/event-store';
import { READ_MODELS_PROCESSOR } from '../migrations';
import { projectNodes } from './nodes.projection';
import { projectRoutes } from './routes.projection';
import { projectServers } from './servers.projection';
import { projectSpawnAttempts } from './spawn-attempts.projection';
import { projectUsers } from './users.projection';
import { sqlOf } from './typeorm-sql';

export const projections = [projectServers, projectRoutes, projectNodes, projectSpawnAttempts, projectUsers];

/**
 * Keeps every read model current in one processor: each batch updates all tables and the
 * checkpoint in one TypeORM transaction, so a crash repeats nothing and loses nothing.
 */
export function createReadModelsProcessor(opts: {
  pool: Pool;
  db: DatabaseOptions;
  dataSource: DataSource;
  name?: string;
  onError?: (e: unknown) => void;
  onApplied?: (count: number) => void;
}): EventProcessor {
  return new EventProcessor({
    name: opts.name ?? READ_MODELS_PROCESSOR,
    pool: opts.pool,
    db: opts.db,
    mode: 'transaction',
    exclusive: true,
    pollMs: 500,
    onError: opts.onError,
    transaction: (fn) => opts.dataSource.transaction((em) => fn(sqlOf(em), em)),
    handle: async (events, _tx, em: EntityManager) => {
      for (const project of projections) await project(events, em);
      opts.onApplied?.(events.length);
    },
  });
}
