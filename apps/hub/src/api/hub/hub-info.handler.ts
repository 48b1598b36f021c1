import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import { listRoutes } from '@condorhub/read-models';
import { CONFIG, READ_MODELS } from '@condorhub/runtime';
import { AuthService } from '../../auth/auth.service';
import { HubError } from '../../http/hub-error';
import { readAllServerActivity } from '../../store/activity';
import { HubStore } from '../../store/hub-store';
import { type Page, paginationOf, wantsPagination } from '../pagination';

const CONDORHUB_VERSION = '0.1.0';

/** GET /info, GET/POST/PATCH /proxy and POST /shutdown: the hub-wide admin calls. */
@Injectable()
export class HubInfoHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(READ_MODELS) private readonly ds: DataSource,
  ) {}

  /** JupyterHub's info model; clients read `version` (the JupyterHub version condorhub speaks). */
  async info(req: IncomingMessage) {
    await this.auth.require(req, ['read:hub']);
    return {
      version: this.config.CONDORHUB_JUPYTERHUB_VERSION,
      python: null,
      sys_executable: process.execPath,
      spawner: { class: 'condorhub.CondorSpawner', version: CONDORHUB_VERSION },
      authenticator: { class: `condorhub.${this.config.CONDORHUB_AUTHENTICATOR}`, version: CONDORHUB_VERSION },
      condorhub: { version: CONDORHUB_VERSION, node: process.version },
    };
  }

  /**
   * The routes the proxy converges to, as configurable-http-proxy lists them to JupyterHub
   * (routespec → {routespec, target, data}); `data.condorhub_state` says whether the proxy has
   * confirmed the route yet.
   */
  async routes(req: IncomingMessage, page: Page) {
    await this.auth.require(req, ['proxy']);
    const [rows, activity] = await Promise.all([listRoutes(this.ds), readAllServerActivity(this.store.pool)]);
    const all: [string, Record<string, unknown>][] = rows.map((r) => [
      r.routeSpec,
      {
        routespec: r.routeSpec,
        target: r.target,
        data: {
          user: r.owner,
          server_name: r.serverName,
          last_activity: activity.get(r.owner)?.get(r.serverName)?.toISOString() ?? null,
          condorhub_state: r.state,
        },
      },
    ]);
    const items = Object.fromEntries(all.slice(page.offset, page.offset + page.limit));
    return wantsPagination(req) ? { items, _pagination: paginationOf(req, page, all.length) } : items;
  }

  /**
   * POST/PATCH /proxy: JupyterHub re-syncs or reconfigures its proxy here. condorhub's proxy
   * converges to the routes read model by itself and takes its settings from its own
   * environment, so there is nothing to do; answered 200 so that scripts calling it go on.
   */
  async resync(req: IncomingMessage): Promise<void> {
    await this.auth.require(req, ['proxy']);
  }

  async shutdown(req: IncomingMessage): Promise<never> {
    await this.auth.require(req, ['shutdown']);
    throw new HubError(
      501,
      "Shutdown over the API is not supported: condorhub's services are stopped by the site's service manager (systemd, docker compose), and servers keep running across a restart",
    );
  }
}
