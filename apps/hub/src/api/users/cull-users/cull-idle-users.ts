import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { tryAdvisoryXactLock } from '@condorhub/event-store';
import { CONFIG } from '@condorhub/runtime';
import { decideCullUser, isActive } from '@condorhub/server-lifecycle';
import { HubError } from '../../../http/hub-error';
import { HubStore } from '../../../store/hub-store';
import { ManageUsersHandler } from '../manage-users.handler';

/**
 * CONDORHUB_CULL_USERS: deletes users idle for CONDORHUB_CULL_IDLE_S with no active server, as
 * `jupyterhub-idle-culler --cull-users` does. It runs in the hub, which owns users and their
 * group memberships (a delete cascades to them); the spawner's culler stops the servers. One
 * hub replica passes at a time (a transaction-scoped advisory lock). Each user is decided again
 * on fresh reads just before the delete, and the delete itself is an append with the user
 * stream's expected version: a user changed meanwhile is left for the next pass.
 */
@Injectable()
export class CullIdleUsers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('culler');
  private readonly idleS: number;
  private readonly everyS: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ManageUsersHandler) private readonly manage: ManageUsersHandler,
  ) {
    this.idleS = config.CONDORHUB_CULL_USERS ? config.CONDORHUB_CULL_IDLE_S : 0;
    this.everyS = config.CONDORHUB_CULL_EVERY_S ?? Math.min(60, Math.max(1, this.idleS / 10));
  }

  onApplicationBootstrap() {
    if (this.idleS > 0) this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then((deleted) => {
          if (deleted !== 'not-leader') for (const name of deleted) this.log.log(`deleted idle user ${name}`);
        })
        .catch((error) => this.log.warn(`user cull pass: ${String(error)}`))
        .finally(() => this.schedule());
    }, this.everyS * 1000);
  }

  async onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: the names of the users deleted, or 'not-leader' when another hub is passing. */
  async pass(now: () => Date = () => new Date()): Promise<string[] | 'not-leader'> {
    if (!(this.idleS > 0)) return [];
    const lock = await this.store.pool.connect();
    try {
      await lock.query('BEGIN');
      const key = `condorhub:cull-users:${this.config.CONDORHUB_DATABASE_SCHEMA ?? 'public'}`;
      if (!(await tryAdvisoryXactLock(lock, key))) return 'not-leader';
      const deleted: string[] = [];
      for (const listed of await this.store.listUsers()) {
        if (listed.admin) continue;
        const user = await this.store.user(listed.name);
        if (!user) continue;
        const servers = [...(await this.store.servers(user.name)).values()];
        const decision = decideCullUser(
          {
            admin: user.admin,
            activeServers: servers.filter(isActive).length,
            createdAt: new Date(user.createdAt),
            lastActivity: user.lastActivity,
          },
          now(),
          this.idleS,
        );
        if (!decision.cull) continue;
        try {
          await this.manage.removeUser(user.name, 'culler');
          deleted.push(user.name);
        } catch (error) {
          // Changed meanwhile (logged in, made admin): decided again next pass.
          if (!(error instanceof HubError && error.getStatus() === 409)) throw error;
        }
      }
      return deleted;
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
    }
  }
}
