import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { siteLimits } from '@condorhub/server-lifecycle';
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

@Module({
  controllers: [StartServerNatsController, StopServerNatsController, ReleaseNodeNatsController],
  providers: [
    {
      provide: StartServerHandler,
      inject: [PG_POOL, CONFIG],
      useFactory: (p: Pool, config: Config) => new StartServerHandler(p, siteLimits(config)),
    },
    withPool(StopServerHandler),
    withPool(ReleaseNodeHandler),
    SpawnSagaConsumer,
  ],
})
export class SpawnerModule {}
