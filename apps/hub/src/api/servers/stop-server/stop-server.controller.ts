import type { IncomingMessage, ServerResponse } from 'node:http';
import { emptyReply } from '../../../http/empty-reply';
import { Body, Controller, Delete, Inject, Param, Req, Res } from '@nestjs/common';
import { StopServerHandler } from './stop-server.handler';

@Controller('hub/api/users/:name')
export class StopServerController {
  constructor(@Inject(StopServerHandler) private readonly handler: StopServerHandler) {}

  @Delete('server')
  async stopDefault(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Body() body: unknown,
  ) {
    emptyReply(res, await this.handler.handle(req, name, '', body));
  }

  @Delete('servers/:server')
  async stopNamed(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('server') server: string,
    @Body() body: unknown,
  ) {
    emptyReply(res, await this.handler.handle(req, name, server, body));
  }
}
