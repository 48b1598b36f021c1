import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ActivityHandler } from './activity.handler';

@Controller('hub/api/users/:name/activity')
export class ActivityController {
  constructor(@Inject(ActivityHandler) private readonly handler: ActivityHandler) {}

  @Post()
  async post(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Body() body: unknown,
  ) {
    await this.handler.handle(req, name, body);
    // JupyterHub answers 200 with an empty body.
    res.statusCode = 200;
    res.end();
  }
}
