import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { RuntimeModule } from '@condorhub/runtime';
import { ProjectorModule } from './projector.module';

@Module({ imports: [RuntimeModule.forRoot({ service: 'projector' }), ProjectorModule] })
class ProjectorApp {}

async function main() {
  const app = await NestFactory.createApplicationContext(ProjectorApp);
  app.enableShutdownHooks();
}

main().catch((e) => {
  console.error(String(e instanceof Error ? e.message : e));
  process.exit(1);
});
