import type { INestApplicationContext } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { bootstrapCondorPoller } from '../../../condor-poller/src/bootstrap';
import { bootstrapHub } from '../../../hub/src/bootstrap';
import { bootstrapPortRegistry } from '../../../port-registry/src/bootstrap';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapSpawner } from '../../../spawner/src/bootstrap';

/**
 * The spawn pipeline without the proxy, for createTestCondorhub's `boot`: the port registry
 * first, as the hub API the job calls (CONDORHUB_PUBLIC_URL points at it, since no proxy
 * forwards to it), then the projector, spawner and condor-poller, and the hub if asked.
 */
export async function bootPipeline(config: Config, opts: { hub?: boolean } = {}): Promise<INestApplicationContext[]> {
  const apps: INestApplicationContext[] = [await bootstrapPortRegistry(config)];
  (config as { CONDORHUB_PUBLIC_URL: string }).CONDORHUB_PUBLIC_URL =
    `http://127.0.0.1:${config.CONDORHUB_PORT_REGISTRY_PORT}`;
  try {
    for (const boot of [bootstrapProjector, bootstrapSpawner, bootstrapCondorPoller]) apps.push(await boot(config));
    if (opts.hub) apps.push(await bootstrapHub(config));
  } catch (error) {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    throw error;
  }
  return apps;
}
