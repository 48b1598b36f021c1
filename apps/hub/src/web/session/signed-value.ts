import { createHmac, timingSafeEqual } from 'node:crypto';

/** JSON in a cookie, signed for one purpose and with an expiry (the OIDC login state). Not secret. */
export function signValue(secret: string, purpose: string, data: object, ttlS: number): string {
  const payload = Buffer.from(JSON.stringify({ ...data, _exp: Math.floor(Date.now() / 1000) + ttlS })).toString(
    'base64url',
  );
  return `${payload}.${createHmac('sha256', secret).update(`${purpose}:${payload}`).digest('base64url')}`;
}

export function readSignedValue<T>(secret: string, purpose: string, value: string | undefined): T | undefined {
  if (!value || value.length > 4096) return undefined;
  const [payload, sig, ...rest] = value.split('.');
  if (!payload || !sig || rest.length) return undefined;
  const a = Buffer.from(sig, 'base64url');
  const b = createHmac('sha256', secret).update(`${purpose}:${payload}`).digest();
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof data?._exp !== 'number' || data._exp <= Date.now() / 1000) return undefined;
    return data as T;
  } catch {
    return undefined;
  }
}
