import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SpawnId } from '@condorhub/contracts';
import { listServerSpawns } from '@condorhub/read-models';
import { READ_MODELS } from '@condorhub/runtime';
import { isActive } from '@condorhub/server-lifecycle';
import { HubError } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { sendHtml } from '../html/render';
import { WebExceptionFilter } from '../web-exception.filter';
import { PageAccess } from './page-access';
import { timelinePage } from './timeline.view';

/** /hub/timeline/<name>[/<server>][?spawn=<id>]: one spawn's events as a picture and a table. */
@Controller('hub/timeline')
@UseFilters(WebExceptionFilter)
export class TimelineController {
  constructor(
    @Inject(PageAccess) private readonly access: PageAccess,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(READ_MODELS) private readonly ds: DataSource,
  ) {}

  @Get([':name', ':name/:server'])
  async page(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Query('spawn') spawn: unknown,
    @Param('server') server?: string,
  ) {
    const login = await this.access.login(req, res);
    if (!login) return;
    const { owner, serverName } = this.access.server(login, name, server);
    if (spawn !== undefined && (typeof spawn !== 'string' || !SpawnId.safeParse(spawn).success)) {
      throw new HubError(400, 'spawn must be a spawn id');
    }
    const state = await this.store.server(owner, serverName);
    const spawnId = (spawn as string | undefined) ?? state.spawnId;
    if (!spawnId) throw new HubError(404, 'This server has never been started, so there is no timeline yet.');
    const events = await this.store.spawnEvents(owner, serverName, spawnId);
    if (!events.length) throw new HubError(404, `No spawn ${spawnId} of this server.`);
    const spawns = await listServerSpawns(this.ds, owner, serverName, 10);
    sendHtml(
      res,
      200,
      timelinePage({
        user: login.user,
        csrf: this.access.sessions.csrfToken(req, res),
        owner,
        serverName,
        spawnId,
        events,
        live: spawnId === state.spawnId && isActive(state),
        spawns,
      }),
    );
  }
}
