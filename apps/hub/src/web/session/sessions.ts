import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { type HubUser, HubStore } from '../../store/hub-store';
import { WEB_SETTINGS, type WebSettings } from '../web-settings';
import {
  SESSION_COOKIE_NAME,
  type Session,
  parseCookies,
  serializeCookie,
  signSession,
  verifySession,
} from '@condorhub/session-cookie';

/** The CSRF binding cookie: random, per browser; form tokens are its HMAC (signed double submit). */
export const CSRF_COOKIE = 'condorhub-csrf';
const CSRF_FIELD = '_xsrf';
const CSRF_HEADERS = ['x-xsrftoken', 'x-csrftoken'];

export interface LoggedIn {
  session: Session;
  user: HubUser;
}

export function appendSetCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader('Set-Cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}

/** Browser sessions: the signed cookie the proxy also reads, and CSRF tokens bound to the browser. */
@Injectable()
export class Sessions {
  private readonly log = new Logger('hub');
  readonly secret: string;
  private readonly secure: boolean;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(WEB_SETTINGS) private readonly settings: WebSettings,
    @Inject(HubStore) private readonly store: HubStore,
  ) {
    if (config.CONDORHUB_COOKIE_SECRET) this.secret = config.CONDORHUB_COOKIE_SECRET;
    else {
      // A hub alone still works for the API and its own pages; the proxy refuses to start without it.
      this.secret = randomBytes(32).toString('hex');
      this.log.warn('CONDORHUB_COOKIE_SECRET is not set: browser sessions end when the hub restarts');
    }
    this.secure = config.CONDORHUB_PUBLIC_URL.startsWith('https:');
  }

  /** The valid session cookie's content, without a database read (for cheap checks). */
  session(req: IncomingMessage): Session | undefined {
    return verifySession(this.secret, parseCookies(req.headers.cookie).get(SESSION_COOKIE_NAME));
  }

  /** The logged-in user, if the cookie is valid and the user still exists (admin as of now). */
  async current(req: IncomingMessage): Promise<LoggedIn | undefined> {
    const cached = (req as any).__condorhubLogin as LoggedIn | null | undefined;
    if (cached !== undefined) return cached ?? undefined;
    const session = this.session(req);
    const user = session ? await this.store.user(session.user) : undefined;
    const result = session && user ? { session, user } : undefined;
    (req as any).__condorhubLogin = result ?? null;
    return result;
  }

  /** Sets the session cookie, and a fresh CSRF binding so a token seen before login is useless after. */
  login(res: ServerResponse, user: HubUser): void {
    const exp = Math.floor(Date.now() / 1000) + this.settings.CONDORHUB_SESSION_MAX_AGE_S;
    const value = signSession(this.secret, { user: user.name, admin: user.admin, exp });
    appendSetCookie(
      res,
      serializeCookie(SESSION_COOKIE_NAME, value, {
        maxAgeS: this.settings.CONDORHUB_SESSION_MAX_AGE_S,
        secure: this.secure,
      }),
    );
    this.newCsrfBinding(res);
  }

  logout(res: ServerResponse): void {
    appendSetCookie(res, serializeCookie(SESSION_COOKIE_NAME, '', { maxAgeS: 0, secure: this.secure }));
    this.newCsrfBinding(res);
  }

  /** The CSRF token to put in this page's forms; sets the binding cookie when the browser has none. */
  csrfToken(req: IncomingMessage, res: ServerResponse): string {
    const fresh = (res as any).__condorhubCsrf as string | undefined;
    if (fresh) return this.tokenFor(fresh);
    const binding = parseCookies(req.headers.cookie).get(CSRF_COOKIE);
    if (binding && /^[A-Za-z0-9_-]{16,64}$/.test(binding)) return this.tokenFor(binding);
    return this.tokenFor(this.newCsrfBinding(res));
  }

  /** True when the request carries the CSRF token of its browser (form field or header). */
  csrfValid(req: IncomingMessage): boolean {
    const binding = parseCookies(req.headers.cookie).get(CSRF_COOKIE);
    if (!binding) return false;
    const body = (req as any).body;
    let given: unknown = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
    for (const h of CSRF_HEADERS) given ??= req.headers[h];
    if (typeof given !== 'string' || given.length > 200) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.tokenFor(binding));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private tokenFor(binding: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${binding}`).digest('base64url');
  }

  private newCsrfBinding(res: ServerResponse): string {
    const binding = randomBytes(18).toString('base64url');
    appendSetCookie(res, serializeCookie(CSRF_COOKIE, binding, { path: '/hub/', secure: this.secure }));
    (res as any).__condorhubCsrf = binding;
    return binding;
  }
}
