import type { INestApplicationContext } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { bootstrapCondorPoller } from '../../condor-poller/src/bootstrap';
import { bootstrapHub } from '../../hub/src/bootstrap';
import { bootstrapPortRegistry } from '../../port-registry/src/bootstrap';
import { bootstrapProjector } from '../../projector/src/bootstrap';
import { bootstrapProxy } from '../../proxy/src/bootstrap';
import { bootstrapSpawner } from '../../spawner/src/bootstrap';

/**
 * Every service in one process, for small sites and development. They still talk only
 * through NATS and the event store: each has its own connections, as separate processes would.
 * The projector comes first (it creates the stream and read models others read).
 */
export async function bootAll(
  config: Config,
  onStarted?: (service: string) => void,
): Promise<INestApplicationContext[]> {
  const apps: INestApplicationContext[] = [];
  const steps: [string, (c: Config) => Promise<INestApplicationContext>][] = [
    ['projector', bootstrapProjector],
    ['spawner', bootstrapSpawner],
    ['condor-poller', bootstrapCondorPoller],
    ['port-registry', bootstrapPortRegistry],
    ['hub', bootstrapHub],
    ['proxy', bootstrapProxy],
  ];
  try {
    for (const [name, boot] of steps) {
      apps.push(await boot(config));
      onStarted?.(name);
    }
  } catch (error) {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    throw error;
  }
  return apps;
}
