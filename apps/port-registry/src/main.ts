import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapPortRegistry } from './bootstrap';

runService('port-registry', () => bootstrapPortRegistry(loadConfig()));
