/**
 * The hub session never reaches a notebook: whoever runs it could act as the visitor at the hub.
 * Which requests lose it is decided by the route they matched, never by the path text.
 */
import { SESSION_COOKIE_NAME } from '@condorhub/session-cookie';

/** A Cookie header's text without the hub session (undefined: nothing left to send). */
export function withoutSessionCookie(text: string): string | undefined {
  if (!text.includes(SESSION_COOKIE_NAME)) return text;
  const kept = text
    .split(';')
    .map((c) => c.trim())
    .filter((c) => {
      if (!c) return false;
      const eq = c.indexOf('=');
      return (eq < 0 ? c : c.slice(0, eq)).trim() !== SESSION_COOKIE_NAME;
    });
  return kept.length ? kept.join('; ') : undefined;
}
