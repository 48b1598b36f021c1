import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { spawnerCommands } from '@condorhub/contracts';
import { handleCommand } from '@condorhub/messaging';
import { StartServerHandler } from './start-server.handler';

/** `condorhub.cmd.spawner.start` */
@Controller()
export class StartServerNatsController {
  constructor(private readonly handler: StartServerHandler) {}

  @MessagePattern('spawner.start')
  start(@Payload() payload: unknown) {
    return handleCommand(spawnerCommands.start, payload, 'spawner.start command', (cmd) => this.handler.handle(cmd));
  }
}
