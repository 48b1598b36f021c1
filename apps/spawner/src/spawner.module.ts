import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings, siteLimits } from '@condorhub/server-lifecycle';
import { CondorClient } from '@condorhub/condor';
import type { CommandStore } from './append-decision';
import { CullIdleTimer } from './cull-idle/cull-idle.timer';
import { QueueInfoHandler } from './queue-info/queue-info.handler';
import { QueueInfoNatsController } from './queue-info/queue-info.nats.controller';
import { ReleaseNodeHandler } from './quarantine/release-node/release-node.handler';
import { ReleaseNodeNatsController } from './quarantine/release-node/release-node.nats.controller';
import { SpawnSagaConsumer } from './spawn-saga/spawn-saga.consumer';
import { spawnerSettings } from './spawner.settings';
import { StartServerHandler } from './start-server/start-server.handler';
import { StartServerNatsController } from './start-server/start-server.nats.controller';
import { StopServerHandler } from './stop-server/stop-server.handler';
import { StopServerNatsController } from './stop-server/stop-server.nats.controller';

const withPool = (cls: new (pool: Pool) => unknown) => ({
  provide: cls,
  inject: [PG_POOL],
  useFactory: (p: Pool) => new cls(p),
});
// Commands that arm their phase's deadline (appendDecision) need the lifecycle's settings.
const withCommandStore = (cls: new (store: CommandStore) => unknown) => ({
  provide: cls,
  inject: [PG_POOL, CONFIG],
  useFactory: (pool: Pool, config: Config) => new cls({ pool, lifecycle: lifecycleSettings(config) }),
});

@Module({
  controllers: [
    StartServerNatsController,
    StopServerNatsController,
    ReleaseNodeNatsController,
    QueueInfoNatsController,
  ],
  providers: [
    {
      provide: StartServerHandler,
      inject: [PG_POOL, CONFIG],
      useFactory: (pool: Pool, config: Config) =>
        new StartServerHandler({ pool, lifecycle: lifecycleSettings(config) }, siteLimits(config)),
    },
    withCommandStore(StopServerHandler),
    withPool(ReleaseNodeHandler),
    {
      provide: QueueInfoHandler,
      inject: [CONFIG],
      // At most 4 s per tool: the hub waits for the answer within its command timeout (5 s).
      useFactory: (config: Config) => {
        const condor = spawnerSettings(config).condor;
        const ms = Math.min(condor.timeoutMs ?? 4_000, 4_000);
        return new QueueInfoHandler(new CondorClient({ ...condor, timeouts: { condor_q: ms, condor_status: ms } }));
      },
    },
    SpawnSagaConsumer,
    CullIdleTimer,
  ],
})
export class SpawnerModule {}
