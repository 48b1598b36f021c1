/**
 * Who may be forwarded to /user/<name>/…: a browser whose hub session names <name> or an
 * admin, or any request carrying an API token (the notebook itself checks tokens).
 * Pure CPU work on the request path: an HMAC at most, cached per cookie value.
 */
import type { IncomingMessage } from 'node:http';
import { SESSION_COOKIE_NAME, readCookie, verifySession, type Session } from './session-cookie';

export type AccessDecision = 'allow' | 'refuse';

const TOKEN_SCHEME = /^\s*(token|bearer)\s+\S/i;

export function carriesApiToken(req: IncomingMessage): boolean {
  const auth = req.headers.authorization;
  if (auth && TOKEN_SCHEME.test(auth)) return true;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return false;
  for (const part of url.slice(q + 1).split('&')) {
    if (part.startsWith('token=') && part.length > 6) return true;
  }
  return false;
}

export class AccessPolicy {
  // Verified cookie values → session; bounded, and cleared wholesale when full (cheap, no LRU bookkeeping).
  private readonly cache = new Map<string, Session>();

  constructor(
    private readonly secret: string | Buffer,
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

  /** Decision for a request to a server owned by `owner`. */
  check(req: IncomingMessage, owner: string): AccessDecision {
    const s = this.session(req);
    if (s && (s.user === owner || s.admin)) return 'allow';
    if (carriesApiToken(req)) return 'allow';
    return 'refuse';
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
