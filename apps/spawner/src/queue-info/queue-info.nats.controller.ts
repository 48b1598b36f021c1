import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseWith, spawnerCommands } from '@condorhub/contracts';
import { QueueInfoHandler } from './queue-info.handler';

/** `condorhub.cmd.spawner.queueInfo` */
@Controller()
export class QueueInfoNatsController {
  constructor(private readonly handler: QueueInfoHandler) {}

  @MessagePattern('spawner.queueInfo')
  queueInfo(@Payload() payload: unknown) {
    return this.handler.handle(parseWith(spawnerCommands.queueInfo, payload, 'spawner.queueInfo command'));
  }
}
