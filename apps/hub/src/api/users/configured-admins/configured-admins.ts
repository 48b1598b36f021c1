import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { type DatabaseOptions, migrate } from '@condorhub/event-store';
import { CONFIG, DB_OPTIONS, PG_POOL } from '@condorhub/runtime';
import { hubMigrations } from './migrations';
import { HubStore } from './store/hub-store';
import { changeUser } from './store/user-changes';

/** Migrates the hub's own tables before any request, and creates configured admin users. */
@Injectable()
export class HubBootstrap implements OnModuleInit, OnApplicationBootstrap {
  private readonly log = new Logger('hub');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(DB_OPTIONS) private readonly db: DatabaseOptions,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HubStore) private readonly store: HubStore,
  ) {}

  async onModuleInit() {
    const applied = await migrate(this.pool, this.db.schema ?? 'public', hubMigrations);
    if (applied.length) this.log.log(`applied migrations ${applied.join(', ')}`);
  }

  // As JupyterHub does at start: admin users exist from the first moment.
  async onApplicationBootstrap() {
    for (const name of this.config.CONDORHUB_ADMIN_USERS) {
      try {
        if (await this.store.user(name)) continue;
        const knownFromSpawns = await this.store.knownFromSpawns(name);
        // 'exists': another hub did it.
        await changeUser(this.pool, { kind: 'create', name, admin: true, by: 'config', knownFromSpawns }, 'config');
      } catch (error) {
        this.log.warn(`could not create admin user ${name}: ${String(error)}`);
      }
    }
  }
}
