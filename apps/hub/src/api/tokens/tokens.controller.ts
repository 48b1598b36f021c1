import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { AuthRateLimits } from '../../http/auth-rate-limits';
import { CreateTokenHandler } from './create-token.handler';
import { ManageTokensHandler } from './manage-tokens.handler';

@Controller('hub/api/users/:name/tokens')
export class TokensController {
  constructor(
    @Inject(CreateTokenHandler) private readonly handler: CreateTokenHandler,
    @Inject(AuthRateLimits) private readonly limits: AuthRateLimits,
    @Inject(ManageTokensHandler) private readonly manage: ManageTokensHandler,
  ) {}

  @Get()
  list(@Req() req: IncomingMessage, @Param('name') name: string) {
    return this.manage.list(req, name);
  }

  @Get(':id')
  get(@Req() req: IncomingMessage, @Param('name') name: string, @Param('id') id: string) {
    return this.manage.get(req, name, id);
  }

  @Delete(':id')
  async delete(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Param('name') name: string,
    @Param('id') id: string,
  ) {
    await this.manage.delete(req, name, id);
    res.statusCode = 204;
    res.end();
  }

  @Post()
  @HttpCode(201)
  async create(
    @Req() req: IncomingMessage,
    @Res({ passthrough: true }) res: ServerResponse,
    @Param('name') name: string,
    @Body() body: unknown,
  ) {
    const attempt = this.limits.check(req, res, 'create-token', name);
    const created = await this.handler.handle(req, name, body);
    attempt.succeeded();
    return created;
  }
}
