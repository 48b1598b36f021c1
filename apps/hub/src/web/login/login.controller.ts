import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { DummyAuthenticator } from '../../auth/authenticators/dummy.authenticator';
import { HeaderAuthenticator } from '../../auth/authenticators/header.authenticator';
import { LoginRefused } from '../../auth/authenticators/login-refused';
import { type OidcPending, OidcAuthenticator } from '../../auth/authenticators/oidc.authenticator';
import { HubError } from '../../http/hub-error';
import { AuthRateLimits, TooManyAttempts } from '../../http/auth-rate-limits';
import { redirect, safeNext, sendHtml } from '../html/render';
import { parseCookies, serializeCookie } from '@condorhub/session-cookie';
import { appendSetCookie, Sessions } from '../session/sessions';
import { readSignedValue, signValue } from '../session/signed-value';
import { WebExceptionFilter } from '../web-exception.filter';
import { loginPage, logoutPage } from './login.view';
import { UserProvisioning } from './user-provisioning';

const OIDC_COOKIE = 'condorhub-oidc';
const OIDC_PURPOSE = 'oidc-login';

const formOf = (body: unknown) =>
  body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

/** The user a /user/<name>/… path belongs to. */
function ownerOf(path: string): string | undefined {
  const raw = /^\/user\/([^/?#]+)/.exec(path)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** /hub/login, /hub/logout and the OpenID Connect round trip. */
@Controller('hub')
@UseFilters(WebExceptionFilter)
export class LoginController {
  private readonly kind: Config['CONDORHUB_AUTHENTICATOR'];

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(Sessions) private readonly sessions: Sessions,
    @Inject(UserProvisioning) private readonly users: UserProvisioning,
    @Inject(DummyAuthenticator) private readonly dummy: DummyAuthenticator,
    @Inject(HeaderAuthenticator) private readonly header: HeaderAuthenticator,
    @Inject(OidcAuthenticator) private readonly oidc: OidcAuthenticator,
    @Inject(AuthRateLimits) private readonly limits: AuthRateLimits,
  ) {
    this.kind = config.CONDORHUB_AUTHENTICATOR;
  }

  @Get()
  root(@Res() res: ServerResponse) {
    redirect(res, '/hub/home', 302);
  }

  @Get('login')
  async loginForm(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Query('next') rawNext: unknown) {
    const next = safeNext(rawNext);
    const login = await this.sessions.current(req);
    if (login) {
      // The proxy sends a browser here when its session may not open a notebook; going back
      // would loop. Say whose it is instead (log out to switch user).
      const owner = ownerOf(next);
      if (owner !== undefined && owner !== login.user.name && !login.user.admin) {
        throw new HubError(
          403,
          `You are logged in as ${login.user.name}; ${next.split('?')[0]} belongs to ${owner}. Only its owner can open it.`,
        );
      }
      return redirect(res, next);
    }
    if (this.kind === 'header') {
      let name: string | undefined;
      try {
        name = await this.header.identify(req);
      } catch (error) {
        if (!(error instanceof LoginRefused)) throw error;
        return this.showLogin(req, res, next, error.status, error.message);
      }
      if (name) return this.finishLogin(res, name, next);
    }
    const loggedOut = typeof (req as any).query?.logged_out === 'string';
    return this.showLogin(req, res, next, this.kind === 'header' ? 401 : 200, undefined, undefined, loggedOut);
  }

  @Post('login')
  async login(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const form = formOf(body);
    const next = safeNext(form.next);
    if (this.kind !== 'dummy') throw new HubError(405, 'This hub does not take passwords; use the sign-in button.');
    let attempt: { succeeded: () => void };
    try {
      attempt = this.limits.check(req, res, 'login', form.username);
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      return this.showLogin(req, res, next, 429, error.message);
    }
    if (!this.sessions.csrfValid(req)) {
      return this.showLogin(req, res, next, 403, 'The form had expired. Please sign in again.');
    }
    try {
      const name = this.dummy.check(form.username, form.password);
      attempt.succeeded();
      return await this.finishLogin(res, name, next);
    } catch (error) {
      if (!(error instanceof LoginRefused)) throw error;
      const typed = typeof form.username === 'string' ? form.username.slice(0, 64) : undefined;
      return this.showLogin(req, res, next, error.status, error.message, typed);
    }
  }

  @Get('oidc/login')
  async oidcLogin(@Res() res: ServerResponse, @Query('next') rawNext: unknown) {
    if (this.kind !== 'oidc') throw new HubError(404, 'This hub does not use OpenID Connect.');
    const { url, pending } = await this.oidc.begin(safeNext(rawNext));
    appendSetCookie(
      res,
      serializeCookie(OIDC_COOKIE, signValue(this.sessions.secret, OIDC_PURPOSE, pending, 600), {
        path: '/hub/',
        maxAgeS: 600,
        secure: this.config.CONDORHUB_PUBLIC_URL.startsWith('https:'),
      }),
    );
    redirect(res, url, 302);
  }

  @Get('oauth_callback')
  async oidcCallback(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Query() q: Record<string, unknown>) {
    if (this.kind !== 'oidc') throw new HubError(404, 'This hub does not use OpenID Connect.');
    const pending = readSignedValue<OidcPending>(
      this.sessions.secret,
      OIDC_PURPOSE,
      parseCookies(req.headers.cookie).get(OIDC_COOKIE),
    );
    appendSetCookie(res, serializeCookie(OIDC_COOKIE, '', { path: '/hub/', maxAgeS: 0 }));
    if (typeof q.error === 'string') {
      const why = typeof q.error_description === 'string' ? q.error_description : q.error;
      throw new LoginRefused(`The identity provider refused the login: ${why.slice(0, 300)}`);
    }
    if (!pending)
      throw new LoginRefused('This login took too long or was started elsewhere. Please sign in again.', 400);
    const name = await this.oidc.complete(req, pending);
    return this.finishLogin(res, name, safeNext(pending.next));
  }

  @Get('logout')
  async logoutForm(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.sessions.current(req);
    if (!login) return redirect(res, '/hub/login', 302);
    sendHtml(res, 200, logoutPage(this.sessions.csrfToken(req, res), login.user));
  }

  @Post('logout')
  logout(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    if (!this.sessions.csrfValid(req)) throw new HubError(403, 'The form had expired: reload the page and try again.');
    this.sessions.logout(res);
    redirect(res, '/hub/login?logged_out=1');
  }

  private async finishLogin(res: ServerResponse, name: string, next: string) {
    const user = await this.users.ensure(name, this.kind);
    this.sessions.login(res, user);
    redirect(res, next);
  }

  private showLogin(
    req: IncomingMessage,
    res: ServerResponse,
    next: string,
    status: number,
    error?: string,
    username?: string,
    loggedOut?: boolean,
  ) {
    sendHtml(
      res,
      status,
      loginPage({
        kind: this.kind,
        next,
        csrf: this.sessions.csrfToken(req, res),
        error,
        username,
        needsPassword: this.dummy.needsPassword,
        issuer: this.oidc.issuer,
        headerName: this.header.header,
        loggedOut,
      }),
    );
  }
}
