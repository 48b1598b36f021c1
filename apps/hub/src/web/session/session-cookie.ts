import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The hub session cookie, in the format the proxy checks locally (apps/proxy ownership):
 *   name  condorhub-session
 *   value base64url(JSON {"u": name, "a": isAdmin, "exp": unixSeconds}) + "." +
 *         base64url(HMAC-SHA256(secret, <the base64url payload string>))
 * Kept here rather than imported: services share formats, not code. A test checks the proxy
 * accepts what this signs.
 */
export const SESSION_COOKIE = 'condorhub-session';

export interface Session {
  user: string;
  admin: boolean;
  exp: number;
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

export function signSession(secret: string, s: Session): string {
  const payload = Buffer.from(JSON.stringify({ u: s.user, a: s.admin, exp: s.exp })).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export function verifySession(secret: string, value: string | undefined, now = Date.now() / 1000): Session | undefined {
  if (!value || value.length > 4096) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const d = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof d?.u !== 'string' || !d.u || typeof d.exp !== 'number' || d.exp <= now) return undefined;
    return { user: d.u, admin: d.a === true, exp: d.exp };
  } catch {
    return undefined;
  }
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
