import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ServerName, type SpawnOptions } from '@condorhub/contracts';
import { isPending } from '@condorhub/server-lifecycle';
import { progressUrl } from '../../api/users/models';
import { ServerAccess } from '../../api/servers/server-access';
import { SpawnerClient } from '../../events/spawner-client';
import { StopServerHandler } from '../../api/servers/stop-server/stop-server.handler';
import { HubError } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { redirect, safeNext, sendHtml } from '../html/render';
import type { LoggedIn } from '../session/sessions';
import { WEB_SETTINGS, type WebSettings } from '../web-settings';
import { WebExceptionFilter } from '../web-exception.filter';
import { type ServerItem, homePage, serversTable } from './home.view';
import { serverPath, serverUrl } from './labels';
import { PageAccess } from './page-access';
import { pendingPage } from './pending.view';
import { spawnPage } from './spawn.view';

const formOf = (body: unknown) =>
  body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

class FormError extends Error {}

/** The user's pages: home, spawn (start, and the proxy's landing for dead notebooks), spawn-pending, stop. */
@Controller('hub')
@UseFilters(WebExceptionFilter)
export class PagesController {
  constructor(
    @Inject(PageAccess) private readonly access: PageAccess,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(SpawnerClient) private readonly spawner: SpawnerClient,
    @Inject(StopServerHandler) private readonly stopper: StopServerHandler,
    @Inject(WEB_SETTINGS) private readonly settings: WebSettings,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
  ) {}

  private async items(user: string): Promise<ServerItem[]> {
    const [servers, activity] = await Promise.all([this.store.servers(user), this.store.serverActivity(user)]);
    // The default server is always listed, even before its first start.
    if (!servers.has('')) servers.set('', await this.store.server(user, ''));
    return [...servers]
      .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
      .map(([name, state]) => ({ name, state, lastActivity: activity.get(name) ?? null }));
  }

  private async renderHome(
    req: IncomingMessage,
    res: ServerResponse,
    login: LoggedIn,
    status = 200,
    error?: string,
    form?: Record<string, unknown>,
  ) {
    sendHtml(
      res,
      status,
      homePage({
        user: login.user,
        csrf: this.access.sessions.csrfToken(req, res),
        items: await this.items(login.user.name),
        settings: this.settings,
        error,
        form: form
          ? {
              serverName: typeof form.server_name === 'string' ? form.server_name.slice(0, 64) : undefined,
              cpus: Number(form.cpus) || undefined,
              memoryMb: Number(form.memory_mb) || undefined,
            }
          : undefined,
      }),
    );
  }

  @Get('home')
  async home(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.access.login(req, res);
    if (login) await this.renderHome(req, res, login);
  }

  /** The server table alone, for the page's live refresh. */
  @Get('home/servers')
  async homeServers(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    const login = await this.access.sessions.current(req);
    if (!login) throw new HubError(401, 'Not logged in');
    const table = serversTable(
      login.user.name,
      await this.items(login.user.name),
      this.access.sessions.csrfToken(req, res),
    );
    sendHtml(res, 200, table.value);
  }

  @Get(['spawn/:name', 'spawn/:name/:server'])
  async spawnLanding(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('server') server?: string,
  ) {
    const login = await this.access.login(req, res);
    if (!login) return;
    const { owner, serverName } = this.access.server(login, name, server);
    const state = await this.store.server(owner, serverName);
    if (isPending(state)) return redirect(res, serverPath('spawn-pending', owner, serverName));
    sendHtml(
      res,
      200,
      spawnPage({
        user: login.user,
        csrf: this.access.sessions.csrfToken(req, res),
        owner,
        serverName,
        state,
        settings: this.settings,
      }),
    );
  }

  @Post(['spawn/:name', 'spawn/:name/:server'])
  async spawn(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Body() body: unknown,
    @Param('name') name: string,
    @Param('server') server?: string,
  ) {
    const login = await this.access.login(req, res);
    if (!login) return;
    this.access.csrfOrFail(req);
    const form = formOf(body);
    let serverName = server;
    if (serverName === undefined && typeof form.server_name === 'string') serverName = form.server_name.trim();
    let target: { owner: string; serverName: string };
    let options: SpawnOptions;
    try {
      if (serverName && !ServerName.safeParse(serverName).success) {
        throw new FormError(
          `“${serverName.slice(0, 64)}” is not a valid server name: use 1-64 of A-Z a-z 0-9 . _ - , starting with a letter or digit.`,
        );
      }
      target = this.access.server(login, name, serverName);
      options = this.options(form);
      // The one site policy, as for the REST API (CPUs and memory are also bounded by the form).
      const breach = await this.servers.siteLimitBreach(target.owner, target.serverName, options);
      if (breach) throw new FormError(`${breach.reason}.`);
    } catch (error) {
      if (error instanceof FormError) return this.renderHome(req, res, login, 400, error.message, form);
      throw error;
    }
    await this.start(target.owner, target.serverName, options, login.user.name);
    redirect(res, serverPath('spawn-pending', target.owner, target.serverName));
  }

  @Post(['stop/:name', 'stop/:name/:server'])
  async stop(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Body() body: unknown,
    @Param('name') name: string,
    @Param('server') server?: string,
  ) {
    const login = await this.access.login(req, res);
    if (!login) return;
    this.access.csrfOrFail(req);
    const { owner, serverName } = this.access.server(login, name, server);
    await this.stopper.handle(req, owner, serverName, undefined);
    redirect(res, safeNext(formOf(body).next));
  }

  @Get(['spawn-pending/:name', 'spawn-pending/:name/:server'])
  async pending(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('server') server?: string,
  ) {
    const login = await this.access.login(req, res);
    if (!login) return;
    const { owner, serverName } = this.access.server(login, name, server);
    const state = await this.store.server(owner, serverName);
    if (state.phase === 'ready') return redirect(res, serverUrl(owner, serverName));
    if (!(await this.store.user(owner))) throw new HubError(404, `There is no user ${owner}.`);
    sendHtml(
      res,
      200,
      pendingPage({
        user: login.user,
        csrf: this.access.sessions.csrfToken(req, res),
        owner,
        serverName,
        state,
        progressUrl: progressUrl(owner, serverName),
      }),
    );
  }

  /**
   * Asks the spawner to start, without waiting for the server: the pending page follows the
   * progress stream. A server already starting or running is not an error: the pending page
   * shows (or opens) it.
   */
  private async start(owner: string, serverName: string, options: SpawnOptions, by: string): Promise<void> {
    if (!(await this.store.user(owner))) throw new HubError(404, `There is no user ${owner}.`);
    const before = await this.store.server(owner, serverName);
    if (isPending(before) || before.phase === 'ready') return;
    if (before.phase === 'stopping') throw new HubError(400, 'The server is still stopping. Try again in a moment.');
    const reply = await this.spawner.start({ user: owner, serverName, options, by });
    if (reply.accepted || reply.code === 'already-active') return;
    if (reply.code === 'stopping') throw new HubError(400, 'The server is still stopping. Try again in a moment.');
    if (reply.code === 'unavailable') {
      throw new HubError(503, `The hub cannot reach the spawner right now (${reply.reason}). Try again in a minute.`);
    }
    throw new HubError(400, `The server could not be started: ${reply.reason}`);
  }

  /** CPUs and memory from the form, within the site's limits. */
  private options(form: Record<string, unknown>): SpawnOptions {
    const s = this.settings;
    const int = (v: unknown, label: string, min: number, max: number, def: number) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max)
        throw new FormError(`${label} must be a whole number from ${min} to ${max}.`);
      return n;
    };
    return {
      cpus: int(form.cpus, 'CPUs', 1, s.CONDORHUB_MAX_CPUS, s.CONDORHUB_DEFAULT_CPUS),
      memoryMb: int(form.memory_mb, 'Memory (MB)', 256, s.CONDORHUB_MAX_MEMORY_MB, s.CONDORHUB_DEFAULT_MEMORY_MB),
    };
  }
}
