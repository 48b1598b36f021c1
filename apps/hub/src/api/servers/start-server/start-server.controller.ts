import type { IncomingMessage, ServerResponse } from 'node:http';
import { emptyReply } from '../../../http/empty-reply';
import { Body, Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { StartServerHandler } from './start-server.handler';

@Controller('hub/api/users/:name')
export class StartServerController {
  constructor(@Inject(StartServerHandler) private readonly handler: StartServerHandler) {}

  @Post('server')
  async startDefault(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Body() body: unknown,
  ) {
    emptyReply(res, await this.handler.handle(req, name, '', body));
  }

  @Post('servers/:server')
  async startNamed(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('server') server: string,
    @Body() body: unknown,
  ) {
    emptyReply(res, await this.handler.handle(req, name, server, body));
  }
}
