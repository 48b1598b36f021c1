import type { Provider } from '@nestjs/common';
import { DummyAuthenticator } from '../auth/authenticators/dummy.authenticator';
import { HeaderAuthenticator } from '../auth/authenticators/header.authenticator';
import { OidcAuthenticator } from '../auth/authenticators/oidc.authenticator';
import { OAuthController } from '../oauth/oauth.controller';
import { OAuthService } from '../oauth/oauth.service';
import { OAuthStore } from '../oauth/oauth-store';
import { LoginController } from './login/login.controller';
import { AdminController } from './pages/admin.controller';
import { AdminAudit } from './pages/admin/admin-audit';
import { PageAccess } from './pages/page-access';
import { PagesController } from './pages/pages.controller';
import { TimelineController } from './pages/timeline.controller';
import { StaticController } from './static.controller';
import { UserProvisioning } from './login/user-provisioning';
import { Sessions } from './session/sessions';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { WEB_SETTINGS, type WebOverrides, loadWebSettings } from './web-settings';
import { WebExceptionFilter } from './web-exception.filter';

/** The browser side of the hub (login, pages, the notebooks' OAuth provider), for HubModule. */
export function webProviders(overrides: WebOverrides = {}): Provider[] {
  return [
    {
      provide: WEB_SETTINGS,
      inject: [CONFIG],
      useFactory: (config: Config) => loadWebSettings(config, process.env, overrides),
    },
    Sessions,
    UserProvisioning,
    DummyAuthenticator,
    HeaderAuthenticator,
    OidcAuthenticator,
    WebExceptionFilter,
    OAuthStore,
    OAuthService,
    PageAccess,
    AdminAudit,
  ];
}

export const webControllers = [
  LoginController,
  OAuthController,
  PagesController,
  AdminController,
  TimelineController,
  StaticController,
];
