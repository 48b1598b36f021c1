import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapSpawner } from './bootstrap';

runService('spawner', () => bootstrapSpawner(loadConfig()));
