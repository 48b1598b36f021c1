import type { ServerResponse } from 'node:http';

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class Raw {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export const raw = (s: string) => new Raw(s);

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function piece(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Raw) return v.value;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Raw(out);
}

export interface PageUser {
  name: string;
  admin: boolean;
}

export interface Page {
  title: string;
  user?: PageUser;
  csrf?: string;
  body: Raw;
  scripts?: string[];
  /** Which nav entry is current. */
  nav?: 'home' | 'admin' | 'login';
}

export function layout(p: Page): string {
  const nav = p.user
    ? html`<nav class="top-nav">
        <a href="/hub/home" class="${p.nav === 'home' ? 'current' : ''}">Home</a>
        ${p.user.admin ? html`<a href="/hub/admin" class="${p.nav === 'admin' ? 'current' : ''}">Admin</a>` : ''}
        <span class="who" title="logged in"
          >${p.user.name}${p.user.admin ? html` <span class="badge">admin</span>` : ''}</span
        >
        <form method="post" action="/hub/logout" class="inline">
          <input type="hidden" name="_xsrf" value="${p.csrf ?? ''}" />
          <button type="submit" class="link">Log out</button>
        </form>
      </nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)} · condorhub</title>
<link rel="stylesheet" href="/hub/static/hub.css">
${p.csrf ? `<meta name="xsrf-token" content="${escapeHtml(p.csrf)}">` : ''}
</head>
<body>
<header class="top"><a class="brand" href="/hub/home"><span class="logo" aria-hidden="true">◆</span> condorhub</a>${nav}</header>
<main>
${p.body.value}
</main>
${(p.scripts ?? []).map((s) => `<script src="/hub/static/${escapeHtml(s)}" defer></script>`).join('\n')}
</body>
</html>
`;
}

export function sendHtml(res: ServerResponse, status: number, page: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  // Pages only load our own scripts and styles; nothing may frame them.
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Length', Buffer.byteLength(page));
  res.end(page);
}

export function redirect(res: ServerResponse, location: string, status = 303): void {
  res.statusCode = status;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', 0);
  res.end();
}

/**
 * A local path to go to after login; anything else becomes `fallback`. Browsers drop tabs and
 * newlines from URLs and read `\` as `/`, so `/\t/evil` or `/\evil` would leave the site:
 * only printable ASCII without backslashes is taken, and each percent-decoded form must still
 * be a plain path (an encoded `//` may be decoded by whatever the path leads to next).
 */
export function safeNext(next: unknown, fallback = '/hub/home'): string {
  if (typeof next !== 'string' || next.length > 2000 || !/^\/[\x21-\x7e]*$/.test(next)) return fallback;
  let form = next;
  for (let i = 0; i < 4; i++) {
    if (!isPlainPath(form)) return fallback;
    let decoded: string;
    try {
      decoded = decodeURIComponent(form);
    } catch {
      return fallback;
    }
    if (decoded === form) break;
    if (i === 3) return fallback; // still encoded after several rounds: no real page needs that
    form = decoded;
  }
  // The last word is the URL parser's: the target must stay on this origin.
  const base = 'http://condorhub.invalid';
  const url = new URL(next, base);
  return url.origin === base ? next : fallback;
}

/** A path-absolute reference: `/` then no second `/` or `\`, no backslash or control character anywhere. */
const isPlainPath = (p: string) => p.startsWith('/') && !/^\/[/\\]/.test(p) && !/[\\\x00-\x1f\x7f-\x9f]/.test(p);

export const isoOrDash = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : '');

/** A time element the page script turns into "3 min ago"; readable without script too. */
export function timeEl(d: Date | string | null | undefined): Raw {
  if (!d) return html`<span class="muted">–</span>`;
  const iso = new Date(d).toISOString();
  return html`<time datetime="${iso}" title="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}
