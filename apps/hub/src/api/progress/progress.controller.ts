import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ProgressHandler } from './progress.handler';

@Controller('hub/api/users/:name')
export class ProgressController {
  constructor(@Inject(ProgressHandler) private readonly handler: ProgressHandler) {}

  @Get('server/progress')
  defaultServer(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Param('name') name: string) {
    return this.handler.handle(req, res, name, '');
  }

  @Get('servers/:server/progress')
  named(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('server') server: string,
  ) {
    return this.handler.handle(req, res, name, server);
  }
}
