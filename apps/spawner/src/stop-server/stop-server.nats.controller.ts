import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseWith, spawnerCommands } from '@condorhub/contracts';
import { StopServerHandler } from './stop-server.handler';

/** `condorhub.cmd.spawner.stop` */
@Controller()
export class StopServerNatsController {
  constructor(private readonly handler: StopServerHandler) {}

  @MessagePattern('spawner.stop')
  stop(@Payload() payload: unknown) {
    return this.handler.handle(parseWith(spawnerCommands.stop, payload, 'spawner.stop command'));
  }
}
