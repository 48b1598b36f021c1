import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { AuthRateLimits } from '../../http/auth-rate-limits';
import { CreateTokenHandler } from './create-token.handler';

@Controller('hub/api/users/:name/tokens')
export class TokensController {
  constructor(
    @Inject(CreateTokenHandler) private readonly handler: CreateTokenHandler,
    @Inject(AuthRateLimits) private readonly limits: AuthRateLimits,
  ) {}

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
