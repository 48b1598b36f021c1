/**
 * Who may be forwarded to /user/<name>/…, as JupyterHub decides it (the `access:servers` scope):
 *  - a browser whose hub session names <name>;
 *  - a browser whose hub session is an admin's: JupyterHub's `admin` role holds `access:servers`
 *    on every server (the hub session itself is never forwarded to the notebook, see the forwarder);
 *  - a request whose API token (Authorization `token`/`bearer`, or `?token=`) the hub vouches for
 *    with `access:servers` on that server, its user, or all; the configured admin token.
 * A token the hub does not vouch for counts as no token: the request is judged by its session.
 * Pure CPU work on the usual path (an HMAC at most, cached per cookie value); a token's first
 * use asks the hub once (HubTokenVerifier).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type HubTokenVerifier, grantsAccess } from './hub-token-verifier';
import { SESSION_COOKIE_NAME, readCookie, verifySession, type Session } from '@condorhub/session-cookie';

export type AccessDecision = 'allow' | 'refuse';

const TOKEN_HEADER = /^\s*(token|bearer)\s+(\S+)\s*$/i;

/** The API token of a request, where JupyterHub looks for it (as the hub's extractToken). */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = TOKEN_HEADER.exec(auth);
    if (m) return m[2];
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('token=', q)) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('token') || undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AccessPolicy {
  // Verified cookie values → session; bounded, and cleared wholesale when full (cheap, no LRU bookkeeping).
  private readonly cache = new Map<string, Session>();

  constructor(
    private readonly secret: string | Buffer,
    private readonly tokens?: HubTokenVerifier,
    private readonly adminToken?: string,
    private readonly maxCached = 10_000,
  ) {}

  session(req: IncomingMessage): Session | undefined {
    const value = readCookie(req.headers.cookie, SESSION_COOKIE_NAME);
    if (!value) return undefined;
    const now = Date.now() / 1000;
    const hit = this.cache.get(value);
    if (hit) {
      if (hit.exp > now) return hit;
      this.cache.delete(value);
      return undefined;
    }
    const s = verifySession(this.secret, value, now);
    if (s) {
      if (this.cache.size >= this.maxCached) this.cache.clear();
      this.cache.set(value, s);
    }
    return s;
  }

  /**
   * Decision for a request to a server of `owner` (`serverName` undefined: no route, any of the
   * owner's servers). Synchronous unless a token has to be checked with the hub.
   */
  check(req: IncomingMessage, owner: string, serverName?: string): AccessDecision | Promise<AccessDecision> {
    const s = this.session(req);
    if (s && (s.user === owner || s.admin)) return 'allow';
    const token = requestToken(req);
    if (!token) return 'refuse';
    if (this.adminToken && sameSecret(token, this.adminToken)) return 'allow';
    if (!this.tokens) return 'refuse';
    let scopes;
    try {
      scopes = this.tokens.scopes(token);
    } catch {
      return 'refuse';
    }
    if (scopes instanceof Promise) {
      return scopes.then(
        (held) => (grantsAccess(held, owner, serverName) ? 'allow' : 'refuse'),
        // The hub could not be asked: the token proves nothing.
        () => 'refuse',
      );
    }
    return grantsAccess(scopes, owner, serverName) ? 'allow' : 'refuse';
  }
}

/** Owner named by a /user/<name>/… path, or undefined for other paths. */
export function ownerFromPath(path: string): string | undefined {
  if (!path.startsWith('/user/')) return undefined;
  let end = path.indexOf('/', 6);
  if (end < 0) {
    const q = path.indexOf('?', 6);
    end = q < 0 ? path.length : q;
  }
  const raw = path.slice(6, end);
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
