import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { spawnerCommands } from '@condorhub/contracts';
import { handleCommand } from '@condorhub/messaging';
import { ReleaseNodeHandler } from './release-node.handler';

/** `condorhub.cmd.spawner.releaseNode` */
@Controller()
export class ReleaseNodeNatsController {
  constructor(private readonly handler: ReleaseNodeHandler) {}

  @MessagePattern('spawner.releaseNode')
  release(@Payload() payload: unknown) {
    return handleCommand(spawnerCommands.releaseNode, payload, 'spawner.releaseNode command', (cmd) =>
      this.handler.handle(cmd),
    );
  }
}
