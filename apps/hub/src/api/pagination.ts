import type { IncomingMessage } from 'node:http';
import { badRequest } from '../http/hub-error';

/** JupyterHub's media type for a paginated list: `{items, _pagination}` instead of a bare array. */
export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json';

/** Limits when the caller gives none, and the most one page may hold. */
export const DEFAULT_PAGE_LIMIT = 200;
export const MAX_PAGE_LIMIT = 10_000;

export interface Page {
  offset: number;
  limit: number;
}

function intParam(value: unknown, name: string, def: number, min: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`${name} must be an integer ${min}-${max}`);
  return n;
}

export function pageOf(query: Record<string, unknown>): Page {
  return {
    offset: intParam(query.offset, 'offset', 0, 0, 1_000_000),
    limit: intParam(query.limit, 'limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
  };
}

export function wantsPagination(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').toLowerCase().includes(PAGINATION_MEDIA_TYPE);
}

/**
 * JupyterHub's `_pagination` of a page. `next.url` is absolute (clients such as
 * jupyterhub-idle-culler fetch it as is), built from the host the caller used (the proxy's
 * X-Forwarded-* when it set them).
 */
export function paginationOf(req: IncomingMessage, page: Page, total: number) {
  const nextOffset = page.offset + page.limit;
  let next: { offset: number; limit: number; url: string } | null = null;
  if (nextOffset < total) {
    const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    const proto = first(req.headers['x-forwarded-proto']) || 'http';
    const host = first(req.headers['x-forwarded-host']) || req.headers.host || 'localhost';
    const url = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', `${proto}://${host}`);
    url.searchParams.set('offset', String(nextOffset));
    url.searchParams.set('limit', String(page.limit));
    next = { offset: nextOffset, limit: page.limit, url: url.toString() };
  }
  return { offset: page.offset, limit: page.limit, total, next };
}

/** One page of `all`: a bare array, or JupyterHub's envelope when the caller asked for it. */
export function paginate<T>(req: IncomingMessage, all: T[], page: Page): T[] | Record<string, unknown> {
  const items = all.slice(page.offset, page.offset + page.limit);
  return wantsPagination(req) ? { items, _pagination: paginationOf(req, page, all.length) } : items;
}
