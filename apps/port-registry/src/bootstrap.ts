import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule, serveOpsEndpoints, useJsonBodies } from '@condorhub/runtime';
import { PortRegistryModule } from './port-registry.module';

/** The port registry's HTTP server on CONDORHUB_PORT_REGISTRY_PORT (0 = any free port). */
export async function bootstrapPortRegistry(config: Config): Promise<INestApplication> {
  @Module({ imports: [RuntimeModule.forRoot({ service: 'port-registry', config }), PortRegistryModule] })
  class PortRegistryApp {}
  const app = await NestFactory.create(PortRegistryApp, { bodyParser: false, logger: logLevels(config) });
  serveOpsEndpoints(app);
  useJsonBodies(app, '4kb');
  await app.listen(config.CONDORHUB_PORT_REGISTRY_PORT, config.CONDORHUB_BIND_HOST);
  return app;
}
