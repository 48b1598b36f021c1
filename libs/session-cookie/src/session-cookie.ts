/**
 * The hub session cookie: the hub signs it at login, the proxy verifies it locally on every
 * /user/… request (no round trip). One codec for both, so the two cannot drift apart.
 *
 * Name:  condorhub-session
 * Value: base64url(JSON {"u": name, "a": isAdmin, "exp": unixSeconds}) + "." +
 *        base64url(HMAC-SHA256(secret, <the base64url payload string>))
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE_NAME = 'condorhub-session';

export interface Session {
  user: string;
  admin: boolean;
  /** Expiry, unix seconds. */
  exp: number;
}

function mac(secret: string | Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signSession(secret: string | Buffer, session: Session): string {
  if (!secret || secret.length === 0) throw new Error('session secret must not be empty');
  const payload = Buffer.from(JSON.stringify({ u: session.user, a: session.admin, exp: session.exp })).toString(
    'base64url',
  );
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Returns the session if the signature is valid and it has not expired, else undefined. */
export function verifySession(
  secret: string | Buffer,
  value: string | undefined,
  nowSeconds: number = Date.now() / 1000,
): Session | undefined {
  // An empty secret would make every forged value verifiable by anyone.
  if (!value || !secret || secret.length === 0 || value.length > 4096) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { u, a, exp } = data as Record<string, unknown>;
  // JSON.parse turns 1e999 into Infinity: such a session would never expire.
  if (typeof u !== 'string' || u === '' || typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  if (exp <= nowSeconds) return undefined;
  return { user: u, admin: a === true, exp };
}

/** The value of one cookie from a Cookie header, without parsing the others (the proxy's hot path). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at < 0) return undefined;
    const before = at === 0 ? ' ' : header[at - 1];
    const eq = at + name.length;
    if ((before === ' ' || before === ';') && header[eq] === '=') {
      const end = header.indexOf(';', eq);
      let v = header.slice(eq + 1, end < 0 ? header.length : end).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
      return v;
    }
    from = eq;
  }
  return undefined;
}

/** Every cookie of a Cookie header (first value wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export interface CookieOptions {
  maxAgeS?: number;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
}

/** A Set-Cookie value; SameSite=Lax always (top-level navigations only, no cross-site POSTs). */
export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${value}`, `Path=${o.path ?? '/'}`, 'SameSite=Lax'];
  if (o.maxAgeS !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`);
    if (o.maxAgeS <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (o.httpOnly !== false) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
