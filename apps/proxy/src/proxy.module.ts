/**
 * Nest wrapper: owns the ProxyServer's start/stop in the application lifecycle. Nest stays off
 * the request path; the event wiring (RouteRequested → routes.set → RouteAdded, …) will inject
 * ProxyService and drive `routes`.
 */
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ProxyServer, type ProxyServerOptions } from './proxy-server';
import type { RouteTable } from './routing/route-table';

export const PROXY_OPTIONS = Symbol('condorhub.proxy.options');

@Injectable()
export class ProxyService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly server: ProxyServer;

  constructor(@Inject(PROXY_OPTIONS) options: ProxyServerOptions) {
    this.server = new ProxyServer(options);
  }

  get routes(): RouteTable {
    return this.server.routes;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }
}

@Module({})
export class ProxyModule {
  static forRoot(options: ProxyServerOptions): DynamicModule {
    return {
      module: ProxyModule,
      providers: [{ provide: PROXY_OPTIONS, useValue: options }, ProxyService],
      exports: [ProxyService],
    };
  }
}
