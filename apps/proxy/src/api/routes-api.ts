/**
 * Read-only, configurable-http-proxy-compatible view of the table for existing tooling:
 * GET /api/routes[?inactive_since=ISO8601] and GET /api/routes/<path>, with
 * `Authorization: token <admin token>`. Keys are CHP-style (no trailing slash). Writes are not
 * offered: routes change only through events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ActivityTracker } from '../activity/activity-tracker';
import type { Route, RouteTable } from '../routing/route-table';
import { sendJson } from '../dead-target/responses';

function tokenMatches(header: string | undefined, expected: string | undefined): boolean {
  if (!expected || !header) return false;
  const m = /^\s*token\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function chpPath(routeSpec: string): string {
  return routeSpec === '/' ? '/' : routeSpec.replace(/\/$/, '');
}

export class RoutesApi {
  private readonly startedAt = new Date();

  constructor(
    private readonly table: RouteTable,
    private readonly activity: ActivityTracker,
    private readonly adminToken: string | undefined,
  ) {}

  /** Handles /api/routes…; returns false if the path is not the API's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    if (url !== '/api/routes' && !url.startsWith('/api/routes/') && !url.startsWith('/api/routes?')) return false;
    if (!tokenMatches(req.headers.authorization, this.adminToken)) {
      sendJson(res, 403, { status: 403, message: 'admin token required' });
      return true;
    }
    if (req.method !== 'GET') {
      sendJson(
        res,
        405,
        { status: 405, message: 'the route table is read-only; routes change through events' },
        { allow: 'GET' },
      );
      return true;
    }
    const parsed = new URL(url, 'http://proxy.invalid');
    const rest = parsed.pathname.slice('/api/routes'.length);
    if (rest && rest !== '/') {
      const route = this.table.get(decodeURIComponent(rest));
      if (!route) sendJson(res, 404, { status: 404, message: `no route ${rest}` });
      else sendJson(res, 200, this.view(route));
      return true;
    }
    const since = parsed.searchParams.get('inactive_since') ?? parsed.searchParams.get('inactiveSince');
    let cutoff: number | undefined;
    if (since !== null) {
      cutoff = Date.parse(since);
      if (Number.isNaN(cutoff)) {
        sendJson(res, 400, { status: 400, message: `Invalid datestamp '${since}' must be ISO8601.` });
        return true;
      }
    }
    const out: Record<string, object> = {};
    for (const route of this.table.all()) {
      if (cutoff !== undefined && this.lastActivity(route) >= cutoff) continue;
      out[chpPath(route.routeSpec)] = this.view(route);
    }
    sendJson(res, 200, out);
    return true;
  }

  private lastActivity(route: Route): number {
    return this.activity.lastActivity(route) ?? this.startedAt.getTime();
  }

  private view(route: Route): object {
    const common = { target: route.target, last_activity: new Date(this.lastActivity(route)).toISOString() };
    if (route.kind === 'static')
      return { ...common, condorhub_static: true, ...(route.routeSpec === '/hub/' ? { hub: true } : {}) };
    return { ...common, jupyterhub: true, user: route.owner, server_name: route.serverName, spawn_id: route.spawnId };
  }
}
