import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { HubError } from '../../http/hub-error';
import { pageOf } from '../pagination';
import { GroupsHandler } from './groups.handler';

@Controller('hub/api/groups')
export class GroupsController {
  constructor(@Inject(GroupsHandler) private readonly groups: GroupsHandler) {}

  @Get()
  list(@Req() req: IncomingMessage, @Query() query: Record<string, unknown>) {
    return this.groups.list(req, pageOf(query));
  }

  @Post()
  @HttpCode(201)
  createMany(@Req() req: IncomingMessage, @Body() body: unknown) {
    return this.groups.createMany(req, body);
  }

  @Get(':name')
  get(@Req() req: IncomingMessage, @Param('name') name: string) {
    return this.groups.get(req, name);
  }

  @Post(':name')
  @HttpCode(201)
  create(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.groups.create(req, name, body);
  }

  @Delete(':name')
  async delete(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Param('name') name: string) {
    await this.groups.delete(req, name);
    res.statusCode = 204;
    res.end();
  }

  @Post(':name/users')
  @HttpCode(200)
  addUsers(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.groups.changeMembers(req, name, body, 'add');
  }

  @Delete(':name/users')
  removeUsers(@Req() req: IncomingMessage, @Param('name') name: string, @Body() body: unknown) {
    return this.groups.changeMembers(req, name, body, 'remove');
  }

  @Put(':name/properties')
  properties() {
    throw new HubError(501, 'Group properties are not supported by condorhub');
  }
}
