import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import { sendCommand } from '@condorhub/messaging';
import { NodeRow, SpawnAttemptRow } from '@condorhub/read-models';
import { CONFIG, NATS, READ_MODELS } from '@condorhub/runtime';
import { isActive } from '@condorhub/server-lifecycle';
import { HUB_OPTIONS, type HubOptions } from '../../hub-options';
import { HubError } from '../../http/hub-error';
import { allServers } from '../../store/all-servers';
import { HubStore } from '../../store/hub-store';
import { redirect, sendHtml } from '../html/render';
import type { LoggedIn } from '../session/sessions';
import { WebExceptionFilter } from '../web-exception.filter';
import { type AdminServer, type AdminView, adminPage, adminServersTable } from './admin.view';
import { PageAccess } from './page-access';

/** /hub/admin: every server with stop, worker nodes with release, failures by cause. */
@Controller('hub/admin')
@UseFilters(WebExceptionFilter)
export class AdminController {
  constructor(
    @Inject(PageAccess) private readonly access: PageAccess,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(READ_MODELS) private readonly ds: DataSource,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HUB_OPTIONS) private readonly options: HubOptions,
  ) {}

  private async admin(req: IncomingMessage, res: ServerResponse): Promise<LoggedIn | undefined> {
    const login = await this.access.login(req, res);
    if (login && !login.user.admin) throw new HubError(403, 'The admin page is for the hub’s admins.');
    return login;
  }

  private async servers(): Promise<AdminServer[]> {
    const all = await allServers(this.ds, this.store.pool);
    const out: AdminServer[] = [];
    for (const [user, servers] of all.servers) {
      for (const [name, state] of servers) {
        if (isActive(state)) out.push({ user, name, state, lastActivity: all.activity.get(user)?.get(name) ?? null });
      }
    }
    return out.sort((a, b) => a.user.localeCompare(b.user) || a.name.localeCompare(b.name));
  }

  private async view(login: LoggedIn, csrf: string, notice?: string, error?: string): Promise<AdminView> {
    const since = new Date(Date.now() - 86_400_000);
    const [servers, nodes, grouped, total, recent] = await Promise.all([
      this.servers(),
      this.ds.getRepository(NodeRow).find({ order: { host: 'ASC' } }),
      this.ds.query(
        `SELECT coalesce(diagnosis, 'unknown') AS diagnosis, count(*)::int AS count FROM spawn_attempts
          WHERE outcome = 'failed' AND requested_at >= $1 GROUP BY 1 ORDER BY 2 DESC, 1`,
        [since],
      ) as Promise<{ diagnosis: string; count: number }[]>,
      this.ds.query('SELECT count(*)::int AS n FROM spawn_attempts WHERE requested_at >= $1', [since]) as Promise<
        { n: number }[]
      >,
      this.ds
        .getRepository(SpawnAttemptRow)
        .find({ where: { outcome: 'failed' }, order: { requestedAt: 'DESC' }, take: 15 }),
    ]);
    return {
      user: login.user,
      csrf,
      servers,
      nodes,
      byDiagnosis: grouped,
      spawns24h: total[0]?.n ?? 0,
      recent,
      notice,
      error,
    };
  }

  @Get()
  async page(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.admin(req, res);
    if (!login) return;
    const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const released = q.get('released');
    const csrf = this.access.sessions.csrfToken(req, res);
    sendHtml(res, 200, adminPage(await this.view(login, csrf, released ? `Released ${released}.` : undefined)));
  }

  @Get('servers')
  async serversFragment(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.access.sessions.current(req);
    if (!login?.user.admin) throw new HubError(403, 'Admins only');
    sendHtml(
      res,
      200,
      adminServersTable({
        servers: await this.servers(),
        csrf: this.access.sessions.csrfToken(req, res),
      }).value.replace(/^/, '<h2 class="first">Servers</h2>'),
    );
  }

  @Post('nodes/release')
  async release(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const login = await this.admin(req, res);
    if (!login) return;
    this.access.csrfOrFail(req);
    const host = (body as Record<string, unknown> | undefined)?.host;
    if (typeof host !== 'string' || !host || host.length > 255)
      throw new HubError(400, 'Which node? (host is missing)');
    const reply = await sendCommand(
      this.nc,
      this.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'releaseNode',
      { host, by: login.user.name },
      this.options.commandTimeoutMs,
    );
    if (!reply.accepted) {
      const csrf = this.access.sessions.csrfToken(req, res);
      const status = reply.code === 'unavailable' ? 503 : 400;
      sendHtml(
        res,
        status,
        adminPage(await this.view(login, csrf, undefined, `Could not release ${host}: ${reply.reason}`)),
      );
      return;
    }
    redirect(res, `/hub/admin?released=${encodeURIComponent(host)}`);
  }
}
