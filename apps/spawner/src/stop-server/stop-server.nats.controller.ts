import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { spawnerCommands } from '@condorhub/contracts';
import { handleCommand } from '@condorhub/messaging';
import { StopServerHandler } from './stop-server.handler';

/** `condorhub.cmd.spawner.stop` */
@Controller()
export class StopServerNatsController {
  constructor(private readonly handler: StopServerHandler) {}

  @MessagePattern('spawner.stop')
  stop(@Payload() payload: unknown) {
    return handleCommand(spawnerCommands.stop, payload, 'spawner.stop command', (cmd) => this.handler.handle(cmd));
  }
}
