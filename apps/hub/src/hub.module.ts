import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { ActivityController } from './api/activity/activity.controller';
import { ActivityHandler } from './api/activity/activity.handler';
import { ProxyActivitySubscriber } from './api/activity/proxy-activity.subscriber';
import { CondorhubController } from './api/condorhub/condorhub.controller';
import { OperationsHandler } from './api/condorhub/operations.handler';
import { TimelineHandler } from './api/condorhub/timeline.handler';
import { QueueHandler } from './api/condorhub/queue.handler';
import { ProgressController } from './api/progress/progress.controller';
import { ProgressHandler } from './api/progress/progress.handler';
import { RootController } from './api/root/root.controller';
import { ServerAccess } from './api/servers/server-access';
import { AuthRateLimits } from './http/auth-rate-limits';
import { StartServerController } from './api/servers/start-server/start-server.controller';
import { StartServerHandler } from './api/servers/start-server/start-server.handler';
import { StopServerController } from './api/servers/stop-server/stop-server.controller';
import { StopServerHandler } from './api/servers/stop-server/stop-server.handler';
import { GroupsController } from './api/groups/groups.controller';
import { GroupsHandler } from './api/groups/groups.handler';
import { HubInfoController } from './api/hub/hub-info.controller';
import { HubInfoHandler } from './api/hub/hub-info.handler';
import { CreateTokenHandler } from './api/tokens/create-token.handler';
import { ManageTokensHandler } from './api/tokens/manage-tokens.handler';
import { TokensController } from './api/tokens/tokens.controller';
import { ManageUsersHandler } from './api/users/manage-users.handler';
import { CullIdleUsers } from './api/users/cull-users/cull-idle-users';
import { ReadUsersHandler } from './api/users/read-users.handler';
import { UsersController } from './api/users/users.controller';
import { AuthService } from './auth/auth.service';
import { type Authenticator, HUB_AUTHENTICATORS } from './auth/principal';
import { TokenAuthenticator } from './auth/token.authenticator';
import { SessionAuthenticator } from './web/session/session.authenticator';
import { ServerEvents } from './events/server-events';
import { SpawnerClient } from './events/spawner-client';
import { ConfiguredAdmins } from './api/users/configured-admins/configured-admins';
import { HUB_OPTIONS, type HubOptions, defaultHubOptions } from './hub-options';
import { HubStore } from './store/hub-store';
import { webControllers, webProviders } from './web/web.providers';
import type { WebOverrides } from './web/web-settings';

export interface HubModuleOptions extends Partial<HubOptions> {
  /**
   * Extra ways to recognise callers, tried before API tokens (e.g. the session cookie of the
   * browser login). Classes are instantiated by Nest and may inject the runtime tokens.
   */
  authenticators?: (new (...args: any[]) => Authenticator)[];
  /** Browser-side settings over those read from the environment (tests). */
  web?: WebOverrides;
}

/**
 * The hub's JupyterHub-compatible REST API. Needs the runtime tokens (CONFIG, DB_OPTIONS,
 * PG_POOL, NATS, READ_MODELS), which `RuntimeModule.forRoot` provides globally, and its own
 * tables (`hubMigrations`, applied by that module in bootstrap.ts). Configure the HTTP app with
 * `configureHubApp`.
 */
@Module({})
export class HubModule {
  static forRoot(opts: HubModuleOptions = {}): DynamicModule {
    const { authenticators: extra = [], web, ...options } = opts;
    // The browser's session cookie is tried first; a request with a token is left to the token.
    const authenticators = [SessionAuthenticator, ...extra];
    const authProviders: Provider[] = [
      TokenAuthenticator,
      ...authenticators,
      {
        provide: HUB_AUTHENTICATORS,
        inject: [...authenticators, TokenAuthenticator],
        useFactory: (...list: Authenticator[]) => list,
      },
    ];
    return {
      module: HubModule,
      controllers: [
        RootController,
        UsersController,
        TokensController,
        GroupsController,
        HubInfoController,
        StartServerController,
        StopServerController,
        ProgressController,
        ActivityController,
        CondorhubController,
        ...webControllers,
      ],
      providers: [
        { provide: HUB_OPTIONS, useValue: { ...defaultHubOptions, ...options } },
        HubStore,
        ConfiguredAdmins,
        ServerEvents,
        SpawnerClient,
        AuthService,
        ...authProviders,
        ServerAccess,
        AuthRateLimits,
        ReadUsersHandler,
        ManageUsersHandler,
        CullIdleUsers,
        CreateTokenHandler,
        ManageTokensHandler,
        GroupsHandler,
        HubInfoHandler,
        StartServerHandler,
        StopServerHandler,
        ProgressHandler,
        ActivityHandler,
        ProxyActivitySubscriber,
        TimelineHandler,
        QueueHandler,
        OperationsHandler,
        ...webProviders(web),
      ],
      exports: [HUB_OPTIONS, HubStore, ServerEvents, ProgressHandler],
    };
  }
}
