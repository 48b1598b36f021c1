import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseWith, spawnerCommands } from '@condorhub/contracts';
import { StartServerHandler } from './start-server.handler';

/** `condorhub.cmd.spawner.start` */
@Controller()
export class StartServerNatsController {
  constructor(private readonly handler: StartServerHandler) {}

  @MessagePattern('spawner.start')
  start(@Payload() payload: unknown) {
    return this.handler.handle(parseWith(spawnerCommands.start, payload, 'spawner.start command'));
  }
}
