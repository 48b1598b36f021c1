import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { HubStore } from '../../../store/hub-store';
import { changeUser } from '../../../store/user-changes';

/**
 * The admin users named in CONDORHUB_ADMIN_USERS exist from the hub's first moment, as in
 * JupyterHub. (The hub's tables are migrated before this, with the store's: bootstrap.ts.)
 */
@Injectable()
export class ConfiguredAdmins implements OnApplicationBootstrap {
  private readonly log = new Logger('hub');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HubStore) private readonly store: HubStore,
  ) {}

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
