import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, HttpCode, Inject, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { pageOf } from '../pagination';
import { HubInfoHandler } from './hub-info.handler';

@Controller('hub/api')
export class HubInfoController {
  constructor(@Inject(HubInfoHandler) private readonly hub: HubInfoHandler) {}

  @Get('info')
  info(@Req() req: IncomingMessage) {
    return this.hub.info(req);
  }

  @Get('proxy')
  routes(@Req() req: IncomingMessage, @Query() query: Record<string, unknown>) {
    return this.hub.routes(req, pageOf(query));
  }

  @Post('proxy')
  @HttpCode(200)
  async resync(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    await this.hub.resync(req);
    res.statusCode = 200;
    res.end();
  }

  @Patch('proxy')
  async reconfigure(@Req() req: IncomingMessage, @Res() res: ServerResponse) {
    await this.hub.resync(req);
    res.statusCode = 200;
    res.end();
  }

  @Post('shutdown')
  shutdown(@Req() req: IncomingMessage) {
    return this.hub.shutdown(req);
  }
}
