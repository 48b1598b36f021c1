import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ManageUsersHandler } from './manage-users.handler';
import { ReadUsersHandler } from './read-users.handler';

@Controller('hub/api')
export class UsersController {
  constructor(
    @Inject(ReadUsersHandler) private readonly read: ReadUsersHandler,
    @Inject(ManageUsersHandler) private readonly manage: ManageUsersHandler,
  ) {}

  @Get('user')
  self(@Req() req: IncomingMessage, @Query() query: Record<string, unknown>) {
    return this.read.self(req, query);
  }

  @Get('users')
  list(@Req() req: IncomingMessage, @Query() query: Record<string, unknown>) {
    return this.read.list(req, query);
  }

  @Post('users')
  @HttpCode(201)
  createMany(@Req() req: IncomingMessage, @Body() body: unknown) {
    return this.manage.createMany(req, body);
  }

  @Patch('users/:name')
  patch(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.manage.patch(req, name, body);
  }

  @Get('users/:name')
  get(@Req() req: IncomingMessage, @Param('name') name: string, @Query() query: Record<string, unknown>) {
    return this.read.get(req, name, query);
  }

  @Post('users/:name')
  @HttpCode(201)
  create(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.manage.create(req, name, body);
  }

  @Delete('users/:name')
  async delete(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Param('name') name: string) {
    await this.manage.delete(req, name);
    res.statusCode = 204;
    res.end();
  }
}
