import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Config } from '@condorhub/config';
import type { CommandReply, SpawnerCommandInput } from '@condorhub/contracts';
import { sendCommand } from '@condorhub/messaging';
import { CONFIG, NATS } from '@condorhub/runtime';
import { HUB_OPTIONS, type HubOptions } from '../hub-options';

/** Commands to the spawner: core NATS request/reply with a timeout (unanswered = 'unavailable'). */
@Injectable()
export class SpawnerClient {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HUB_OPTIONS) private readonly options: HubOptions,
  ) {}

  start(cmd: SpawnerCommandInput<'start'>): Promise<CommandReply> {
    // The spawner refuses a start it could decide only after this hub stopped waiting.
    return this.send('start', { ...cmd, replyWithinMs: this.options.commandTimeoutMs });
  }

  stop(cmd: SpawnerCommandInput<'stop'>): Promise<CommandReply> {
    return this.send('stop', cmd);
  }

  /** Why the job is still idle (read-only; the spawner runs condor_q and condor_status). */
  queueInfo(jobId: string): Promise<CommandReply> {
    return this.send('queueInfo', { jobId });
  }

  private send(verb: string, payload: unknown): Promise<CommandReply> {
    return sendCommand(
      this.nc,
      this.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      verb,
      payload,
      this.options.commandTimeoutMs,
    );
  }
}
