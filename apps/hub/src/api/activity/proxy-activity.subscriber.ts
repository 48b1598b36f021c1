import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Config } from '@condorhub/config';
import { parseProxyActivityBatch, proxyActivitySubject, routeSpecOwner } from '@condorhub/contracts';
import { CONFIG, NATS } from '@condorhub/runtime';
import { HubStore } from '../../store/hub-store';
import { MAX_FUTURE_MS } from './activity.handler';

/**
 * Browser traffic through the proxy counts as activity, as JupyterHub takes it from CHP: each
 * batch moves the user's and the server's last_activity forward (never back), so idle culling
 * through the hub API sees people who use a notebook whose kernel is quiet.
 */
@Injectable()
export class ProxyActivitySubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('hub');
  private sub?: Subscription;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(HubStore) private readonly store: HubStore,
  ) {}

  onApplicationBootstrap() {
    this.sub = this.nc.subscribe(proxyActivitySubject(this.config.CONDORHUB_NATS_PREFIX), {
      callback: (error, msg) => {
        if (error) return;
        // One batch at a time: a burst of batches must not open a connection each.
        this.chain = this.chain.then(() => this.record(msg.data)).catch(() => undefined);
      },
    });
  }

  async onApplicationShutdown() {
    this.sub?.unsubscribe();
    await this.chain;
  }

  async record(data: Uint8Array): Promise<void> {
    let batch;
    try {
      batch = parseProxyActivityBatch(JSON.parse(new TextDecoder().decode(data)));
    } catch (error) {
      this.log.warn(`ignored a proxy activity batch: ${String(error).slice(0, 300)}`);
      return;
    }
    const now = Date.now();
    const servers: [string, string, Date][] = [];
    for (const r of batch) {
      // Further ahead than the notebooks' own reports may be: clock trouble, not activity.
      if (r.lastActivity > now + MAX_FUTURE_MS) continue;
      try {
        const { user, serverName } = routeSpecOwner(r.routeSpec);
        servers.push([user, serverName, new Date(r.lastActivity)]);
      } catch {
        // a malformed escape in a route spec
      }
    }
    await this.store
      .recordActivity(
        servers.map(([user, , at]) => [user, at]),
        servers,
      )
      .catch((error) => this.log.warn(`proxy activity: ${String(error)}`));
  }
}
