import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { AuthRateLimits, TooManyAttempts } from '../http/auth-rate-limits';
import { HubError } from '../http/hub-error';
import { redirect } from '../web/html/render';
import { Sessions } from '../web/session/sessions';
import { WebExceptionFilter } from '../web/web-exception.filter';
import { OAuthError, OAuthService } from './oauth.service';

function basicAuth(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return {
      id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

function sendOAuthJson(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(text);
}

/** JupyterHub's OAuth2 endpoints, as jupyterhub-singleuser's HubOAuth uses them. */
@Controller('hub/api/oauth2')
export class OAuthController {
  constructor(
    @Inject(OAuthService) private readonly oauth: OAuthService,
    @Inject(Sessions) private readonly sessions: Sessions,
    @Inject(AuthRateLimits) private readonly limits: AuthRateLimits,
  ) {}

  /** Browser step: the owner (or an admin) goes straight back with a code; others are refused. */
  @Get('authorize')
  @UseFilters(WebExceptionFilter)
  async authorize(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Query() query: Record<string, unknown>) {
    const a = await this.oauth.parseAuthorize(query);
    const login = await this.sessions.current(req);
    if (!login) {
      redirect(res, `/hub/login?next=${encodeURIComponent(req.url ?? '/hub/home')}`, 302);
      return;
    }
    if (login.user.name !== a.client.user && !login.user.admin) {
      throw new HubError(
        403,
        `You are logged in as ${login.user.name}; this notebook belongs to ${a.client.user}. Only its owner can open it.`,
      );
    }
    redirect(res, await this.oauth.authorize(a, login.user.name), 302);
  }

  /** Server-to-server step: the notebook trades the code for a token with its own API token. */
  @Post('token')
  async token(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const form = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const basic = basicAuth(req);
    let attempt: { succeeded: () => void };
    try {
      attempt = this.limits.check(req, res, 'oauth-token', basic?.id ?? form.client_id);
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      return sendOAuthJson(res, 429, { error: 'slow_down', error_description: error.message });
    }
    try {
      const token = await this.oauth.token(form, basic);
      attempt.succeeded();
      sendOAuthJson(res, 200, token);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      sendOAuthJson(
        res,
        error.status,
        { error: error.error, error_description: error.description },
        error.status === 401 && basic ? { 'WWW-Authenticate': 'Basic realm="condorhub"' } : {},
      );
    }
  }
}
