import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { parseWith, spawnerCommands } from '@condorhub/contracts';
import { ReleaseNodeHandler } from './release-node.handler';

/** `condorhub.cmd.spawner.releaseNode` */
@Controller()
export class ReleaseNodeNatsController {
  constructor(private readonly handler: ReleaseNodeHandler) {}

  @MessagePattern('spawner.releaseNode')
  release(@Payload() payload: unknown) {
    return this.handler.handle(parseWith(spawnerCommands.releaseNode, payload, 'spawner.releaseNode command'));
  }
}
