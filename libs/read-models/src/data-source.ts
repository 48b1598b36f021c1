import { DataSource } from 'typeorm';
import type { DatabaseOptions } from '@condorhub/event-store';
import { NodeRow } from './entities/node.entity';
import { RouteRow } from './entities/route.entity';
import { ServerRow } from './entities/server.entity';
import { SpawnAttemptRow } from './entities/spawn-attempt.entity';
import { UserRow } from './entities/user.entity';

export const readModelEntities = [ServerRow, RouteRow, NodeRow, SpawnAttemptRow, UserRow];

/**
 * A TypeORM data source over the read models. Tables come from versioned migrations, never
 * from `synchronize`; `db.extraSearchPath` lets a rebuild write its own tables while reading
 * the live schema's events.
 */
export async function openReadModels(db: DatabaseOptions): Promise<DataSource> {
  const schema = db.schema ?? 'public';
  const ds = new DataSource({
    type: 'postgres',
    url: db.url,
    schema,
    entities: readModelEntities,
    synchronize: false,
    logging: false,
    applicationName: db.applicationName ?? 'condorhub-read-models',
    connectTimeoutMS: db.connectTimeoutMs ?? 5_000,
    poolSize: db.max ?? 5,
    extra: {
      options: `-c search_path=${[schema, ...(db.extraSearchPath ?? [])].join(',')} -c statement_timeout=${db.statementTimeoutMs ?? 15_000}`,
    },
  });
  await ds.initialize();
  return ds;
}
