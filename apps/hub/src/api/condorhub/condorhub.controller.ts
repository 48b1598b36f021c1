import type { IncomingMessage } from 'node:http';
import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { OperationsHandler } from './operations.handler';
import { QueueHandler } from './queue.handler';
import { TimelineHandler } from './timeline.handler';

/** condorhub's own additions, kept under /hub/api/condorhub so the JupyterHub API stays clean. */
@Controller('hub/api/condorhub')
export class CondorhubController {
  constructor(
    @Inject(TimelineHandler) private readonly timeline: TimelineHandler,
    @Inject(OperationsHandler) private readonly operations: OperationsHandler,
    @Inject(QueueHandler) private readonly queue: QueueHandler,
  ) {}

  @Get('users/:name/server/queue')
  defaultQueue(@Req() req: IncomingMessage, @Param('name') name: string) {
    return this.queue.handle(req, name, '');
  }

  @Get('users/:name/servers/:server/queue')
  namedQueue(@Req() req: IncomingMessage, @Param('name') name: string, @Param('server') server: string) {
    return this.queue.handle(req, name, server);
  }

  @Get('users/:name/server/timeline')
  defaultTimeline(@Req() req: IncomingMessage, @Param('name') name: string, @Query('spawn') spawn: unknown) {
    return this.timeline.handle(req, name, '', spawn);
  }

  @Get('users/:name/servers/:server/timeline')
  namedTimeline(
    @Req() req: IncomingMessage,
    @Param('name') name: string,
    @Param('server') server: string,
    @Query('spawn') spawn: unknown,
  ) {
    return this.timeline.handle(req, name, server, spawn);
  }

  @Get('nodes')
  nodes(@Req() req: IncomingMessage) {
    return this.operations.nodes(req);
  }

  @Get('failures')
  failures(@Req() req: IncomingMessage, @Query('since') since: unknown) {
    return this.operations.failures(req, since);
  }
}
