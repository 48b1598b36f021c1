import type { IncomingMessage } from 'node:http';
import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { CreateTokenHandler } from './create-token.handler';

@Controller('hub/api/users/:name/tokens')
export class TokensController {
  constructor(@Inject(CreateTokenHandler) private readonly handler: CreateTokenHandler) {}

  @Post()
  @HttpCode(201)
  create(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.handler.handle(req, name, body);
  }
}
