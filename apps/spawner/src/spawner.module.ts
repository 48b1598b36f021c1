import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings, siteLimits } from '@condorhub/server-lifecycle';
import type { CommandStore } from './append-decision';
import { CullIdleTimer } from './cull-idle/cull-idle.timer';
import { ReleaseNodeHandler } from './release-node/release-node.handler';
import { ReleaseNodeNatsController } from './release-node/release-node.nats.controller';
import { SpawnSagaConsumer } from './spawn-saga/spawn-saga.consumer';
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
  controllers: [StartServerNatsController, StopServerNatsController, ReleaseNodeNatsController],
  providers: [
    {
      provide: StartServerHandler,
      inject: [PG_POOL, CONFIG],
      useFactory: (pool: Pool, config: Config) =>
        new StartServerHandler({ pool, lifecycle: lifecycleSettings(config) }, siteLimits(config)),
    },
    withCommandStore(StopServerHandler),
    withPool(ReleaseNodeHandler),
    SpawnSagaConsumer,
    CullIdleTimer,
  ],
})
export class SpawnerModule {}
