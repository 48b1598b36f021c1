import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cluster from 'node:cluster';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { newEvent, proxyActivitySubject, serverStreamId } from '@condorhub/contracts';
import { addMetricsText, renderMetrics } from '@condorhub/metrics';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { RouteSync } from './events/route-sync';
import { workerMetricsSource } from './metrics/worker-metrics';
import { ProxyServer } from './proxy-server';

/** `<prefix>.activity.proxy`: batches of {routeSpec, spawnId, lastActivity}, for idle culling. */
export const activitySubject = proxyActivitySubject;

/** The proxy as a service: the data plane, kept equal to the routes projection by events. */
@Injectable()
export class ProxyAppService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('proxy');
  readonly server: ProxyServer;
  readonly sync: RouteSync;
  private unshare = () => {};

  constructor(@Inject(CONFIG) config: Config, @Inject(PG_POOL) pool: Pool, @Inject(NATS) nc: NatsConnection) {
    if (!config.CONDORHUB_COOKIE_SECRET) {
      throw new Error('CONDORHUB_COOKIE_SECRET must be set (the hub signs sessions with it, the proxy checks them)');
    }
    const local = (port: number) => `http://127.0.0.1:${port}`;
    const prefix = config.CONDORHUB_NATS_PREFIX;
    this.server = new ProxyServer({
      host: config.CONDORHUB_PROXY_HOST,
      port: config.CONDORHUB_PROXY_PORT,
      hubUrl: config.CONDORHUB_HUB_URL ?? local(config.CONDORHUB_HUB_PORT),
      portRegistryUrl: config.CONDORHUB_PORT_REGISTRY_URL ?? local(config.CONDORHUB_PORT_REGISTRY_PORT),
      cookieSecret: config.CONDORHUB_COOKIE_SECRET,
      adminToken: config.CONDORHUB_ADMIN_TOKEN,
      // One of several workers (apps/proxy/src/main.ts): /metrics sums them all.
      metricsSource: cluster.isWorker ? workerMetricsSource(() => this.server.metrics.snapshot()) : undefined,
      // The process's other metrics (its consumers; in `npm start` every service's), but not
      // a worker's: they would jump between scrapes that reach different workers.
      otherMetrics: cluster.isWorker ? undefined : () => renderMetrics({ extras: false }),
      library: { http: config.CONDORHUB_PROXY_HTTP_LIBRARY },
      onActivity: async (batch) => {
        nc.publish(activitySubject(prefix), JSON.stringify(batch));
      },
      probe: {
        onUnhealthy: async (route, reason, detail) => {
          // The route goes now; the spawner learns it from RouteRemoved and ends the server.
          this.log.warn(`route ${route.routeSpec} → ${route.target} unhealthy (${reason}): ${detail}`);
          this.server.routes.remove(route.routeSpec, route.spawnId);
          await this.sync.record(
            serverStreamId(route.owner, route.serverName),
            `removed:${route.spawnId}:${route.routeSpec}`,
            [
              newEvent('RouteRemoved', {
                spawnId: route.spawnId,
                routeSpec: route.routeSpec,
                reason: `target-${reason}`,
              }),
            ],
          );
        },
      },
    });
    this.sync = new RouteSync({
      pool,
      nc,
      prefix,
      routes: this.server.routes,
      lifecycle: lifecycleSettings(config),
      log: (l) => this.log.warn(l),
    });
  }

  async onApplicationBootstrap() {
    await this.sync.start();
    await this.server.start();
    // `npm start`: the hub's /metrics (every service in the process) shows the proxy's too.
    if (!cluster.isWorker) this.unshare = addMetricsText('proxy', () => this.server.metrics.render());
  }

  async onApplicationShutdown() {
    this.unshare();
    await this.sync.stop();
    await this.server.stop();
  }
}
