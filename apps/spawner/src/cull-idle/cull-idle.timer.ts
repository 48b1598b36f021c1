import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { CullIdleServers, type CullSettings, cullSettings, cullerLockKey } from './cull-idle-servers';

/** Runs the culler's pass every CONDORHUB_CULL_EVERY_S while a limit is set. */
@Injectable()
export class CullIdleTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('culler');
  private readonly settings: CullSettings;
  readonly culler: CullIdleServers;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(@Inject(CONFIG) config: Config, @Inject(PG_POOL) pool: Pool) {
    this.settings = cullSettings(config);
    this.culler = new CullIdleServers(
      { pool, lifecycle: lifecycleSettings(config) },
      this.settings,
      cullerLockKey(config.CONDORHUB_DATABASE_SCHEMA),
    );
  }

  onApplicationBootstrap() {
    if (!(this.settings.idleS > 0 || this.settings.maxAgeS > 0)) return;
    this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.culler
        .pass()
        .then((outcome) => {
          if (outcome === 'not-leader') return;
          for (const o of outcome) {
            if (o.culled) this.log.log(`culled ${o.user}/${o.serverName}`);
            else if (o.code === 'error') this.log.warn(`could not decide ${o.user}/${o.serverName}; next pass`);
          }
        })
        .catch((error) => this.log.warn(`cull pass: ${String(error)}`))
        .finally(() => this.schedule());
    }, this.settings.everyS * 1000);
  }

  async onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
