import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { spawnerCommands } from '@condorhub/contracts';
import { handleCommand } from '@condorhub/messaging';
import { QueueInfoHandler } from './queue-info.handler';

/** `condorhub.cmd.spawner.queueInfo` */
@Controller()
export class QueueInfoNatsController {
  constructor(private readonly handler: QueueInfoHandler) {}

  @MessagePattern('spawner.queueInfo')
  queueInfo(@Payload() payload: unknown) {
    return handleCommand(spawnerCommands.queueInfo, payload, 'spawner.queueInfo command', (cmd) =>
      this.handler.handle(cmd),
    );
  }
}
