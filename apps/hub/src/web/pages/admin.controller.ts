import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import { sendCommand } from '@condorhub/messaging';
import { nodeStreamId } from '@condorhub/contracts';
import { listDeadLetters, readStream } from '@condorhub/event-store';
import {
  type NodeRow,
  countSpawnAttempts,
  countSpawnFailures,
  listNodeRows,
  listRecentFailedSpawns,
} from '@condorhub/read-models';
import { CONFIG, NATS, READ_MODELS } from '@condorhub/runtime';
import { isActive } from '@condorhub/server-lifecycle';
import { ManageUsersHandler } from '../../api/users/manage-users.handler';
import { HUB_OPTIONS, type HubOptions } from '../../hub-options';
import { HubError } from '../../http/hub-error';
import { allServers } from '../../store/all-servers';
import { HubStore } from '../../store/hub-store';
import { redirect, sendHtml } from '../html/render';
import type { LoggedIn } from '../session/sessions';
import { WebExceptionFilter } from '../web-exception.filter';
import { type AdminServer, type AdminView, adminPage, adminServersTable } from './admin.view';
import { PageAccess } from './page-access';
import { addUsers } from './admin/add-users';
import { AdminAudit, adminActor } from './admin/admin-audit';
import { deleteUser } from './admin/delete-user';
import { forceRemoveServer } from './admin/force-remove-server';
import { replayFromAdminPage } from './admin/replay-dead-letters';

/** What a finished action says on the page it returns to (`?done=<key>&what=<target>`). */
const DONE: Record<string, (what: string) => string> = {
  released: (w) => `Released ${w}.`,
  added: (w) => `Added ${w}.`,
  deleted: (w) => `Deleted ${w}.`,
  removed: (w) => `Force-removed ${w}; its job is being removed.`,
  replayed: (w) => `Replayed ${w} dead letter${w === '1' ? '' : 's'}.`,
  'nothing-replayed': () => 'No dead letters were waiting to be replayed.',
};

const form = (body: unknown): Record<string, unknown> =>
  body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

/**
 * /hub/admin: servers (stop, force-remove), users (add, delete), worker nodes (release), dead
 * letters (replay), failures by cause, and the admins' recent actions. Every POST is admin-only,
 * needs the page's CSRF token, and records AdminActionRecorded naming the admin.
 */
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
    @Inject(ManageUsersHandler) private readonly users: ManageUsersHandler,
    @Inject(AdminAudit) private readonly audit: AdminAudit,
  ) {}

  /** The admin behind a state-changing form: logged in, an admin, and the form's CSRF token right. */
  private async adminPost(req: IncomingMessage, res: ServerResponse): Promise<LoggedIn | undefined> {
    const login = await this.admin(req, res);
    if (login) this.access.csrfOrFail(req);
    return login;
  }

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

  /**
   * The nodes of the read model, with a release the projector has not applied yet applied as it
   * will (state ok, strikes cleared): the page an admin returns to after Release says so.
   */
  private async nodes(): Promise<NodeRow[]> {
    const rows = await listNodeRows(this.ds);
    for (const node of rows.filter((r) => r.state === 'quarantined')) {
      const events = await readStream(this.store.pool, nodeStreamId(node.host));
      const last = events.at(-1);
      if (last?.type === 'NodeReleased') {
        Object.assign(node, {
          state: 'ok',
          strikes: [],
          releasedAt: new Date(last.recordedAt),
          releasedBy: (last.data as { by: string }).by,
        });
      }
    }
    return rows;
  }

  private async view(login: LoggedIn, csrf: string, notice?: string, error?: string): Promise<AdminView> {
    const since = new Date(Date.now() - 86_400_000);
    const [servers, nodes, grouped, total, recent, users, letters, actions] = await Promise.all([
      this.servers(),
      this.nodes(),
      countSpawnFailures(this.ds, since).then(byDiagnosis),
      countSpawnAttempts(this.ds, since),
      listRecentFailedSpawns(this.ds, 15),
      this.store.listUsers(),
      listDeadLetters(this.store.pool),
      this.audit.recent(20),
    ]);
    const activeByUser = new Map<string, number>();
    for (const s of servers) activeByUser.set(s.user, (activeByUser.get(s.user) ?? 0) + 1);
    return {
      user: login.user,
      csrf,
      servers,
      nodes,
      byDiagnosis: grouped,
      spawns24h: total,
      recent,
      users: users
        .map((u) => ({
          name: u.name,
          admin: u.admin,
          lastActivity: u.lastActivity,
          active: activeByUser.get(u.name) ?? 0,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      // Newest first; the oldest beyond 100 are still in `condorhub dead-letters`.
      deadLetters: letters.slice(-100).reverse(),
      deadLettersTotal: letters.length,
      actions,
      notice,
      error,
    };
  }

  @Get()
  async page(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.admin(req, res);
    if (!login) return;
    const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const done = DONE[q.get('done') ?? ''];
    const csrf = this.access.sessions.csrfToken(req, res);
    sendHtml(
      res,
      200,
      adminPage(await this.view(login, csrf, done ? done((q.get('what') ?? '').slice(0, 300)) : undefined)),
    );
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
    const login = await this.adminPost(req, res);
    if (!login) return;
    const host = form(body).host;
    if (typeof host !== 'string' || !host || host.length > 255)
      throw new HubError(400, 'Which node? (host is missing)');
    const reply = await sendCommand(
      this.nc,
      this.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'releaseNode',
      { host, by: adminActor(login.user.name) },
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
    await this.audit.record(login.user.name, 'node-released', host);
    done(res, 'released', host, '#nodes');
  }

  @Post('users')
  async addUsers(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const login = await this.adminPost(req, res);
    if (!login) return;
    const created = await addUsers(this.users, this.audit, login.user.name, form(body));
    done(res, 'added', created.join(', '), '#users');
  }

  @Post('users/delete')
  async deleteUser(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const login = await this.adminPost(req, res);
    if (!login) return;
    const name = await deleteUser(this.users, this.store, this.audit, login.user.name, form(body));
    done(res, 'deleted', name, '#users');
  }

  @Post('servers/force-remove')
  async forceRemove(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const login = await this.adminPost(req, res);
    if (!login) return;
    const label = await forceRemoveServer(this.store.pool, this.audit, login.user.name, form(body));
    done(res, 'removed', label, '#admin-servers');
  }

  @Post('dead-letters/replay')
  async replay(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Body() body: unknown) {
    const login = await this.adminPost(req, res);
    if (!login) return;
    const n = await replayFromAdminPage(
      this.store.pool,
      this.nc,
      this.config.CONDORHUB_NATS_PREFIX,
      this.audit,
      login.user.name,
      form(body),
    );
    if (n) done(res, 'replayed', String(n), '#dead-letters');
    else done(res, 'nothing-replayed', '', '#dead-letters');
  }
}

function done(res: ServerResponse, key: string, what: string, anchor: string) {
  redirect(res, `/hub/admin?done=${key}&what=${encodeURIComponent(what.slice(0, 300))}${anchor}`);
}

/** Failures by diagnosis alone (stages summed), most frequent first; none recorded is 'unknown'. */
function byDiagnosis(rows: { diagnosis: string | null; count: number }[]): { diagnosis: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.diagnosis ?? 'unknown', (counts.get(r.diagnosis ?? 'unknown') ?? 0) + r.count);
  return [...counts]
    .map(([diagnosis, count]) => ({ diagnosis, count }))
    .sort((x, y) => y.count - x.count || x.diagnosis.localeCompare(y.diagnosis));
}
