import { type DatabaseOptions, createPool, migrate, noAppendApplicationName } from '@condorhub/event-store';
import { openReadModels } from './data-source';
import { READ_MODEL_TABLES, readModelMigrations } from './migrations';
import { createReadModelsProcessor } from './projections/read-models.processor';

export interface RebuildResult {
  /** The schema holding the rebuilt tables (dropped unless `keep`). */
  schema: string;
  events: number;
  /** Rows present on one side only, per table: empty when the live read models are right. */
  differences: { table: string; onlyLive: number; onlyRebuilt: number }[];
}

/**
 * Replays every event into fresh read-model tables in a schema of their own, then compares
 * them row by row with the live tables. Operators run it after a projection change or when
 * they doubt a read model; nothing live is touched.
 */
export async function rebuildReadModels(
  live: DatabaseOptions,
  opts: { keep?: boolean; onProgress?: (events: number) => void } = {},
): Promise<RebuildResult> {
  const liveSchema = live.schema ?? 'public';
  const schema = `${liveSchema.slice(0, 40)}_rebuild_${Date.now().toString(36)}`;
  const db: DatabaseOptions = {
    ...live,
    schema,
    extraSearchPath: [liveSchema],
    applicationName: noAppendApplicationName('condorhub-rebuild'),
  };
  const pool = createPool(db);
  let events = 0;
  try {
    await migrate(pool, schema, readModelMigrations);
    await pool.query(`CREATE TABLE ${schema}.checkpoints (LIKE ${liveSchema}.checkpoints INCLUDING ALL)`);
    const dataSource = await openReadModels(db);
    const processor = createReadModelsProcessor({
      pool,
      db,
      dataSource,
      name: 'rebuild',
      onApplied: (n) => {
        events += n;
        opts.onProgress?.(events);
      },
    });
    try {
      processor.start();
      await processor.caughtUp();
    } finally {
      await processor.stop();
      await dataSource.destroy();
    }
    const differences = [];
    for (const table of READ_MODEL_TABLES) {
      const count = async (a: string, b: string) =>
        Number(
          (
            await pool.query(
              `SELECT count(*) AS n FROM (SELECT * FROM ${a}.${table} EXCEPT SELECT * FROM ${b}.${table}) x`,
            )
          ).rows[0].n,
        );
      differences.push({
        table,
        onlyLive: await count(liveSchema, schema),
        onlyRebuilt: await count(schema, liveSchema),
      });
    }
    return { schema, events, differences: differences.filter((d) => d.onlyLive || d.onlyRebuilt) };
  } finally {
    if (!opts.keep) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
