import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapHub } from './bootstrap';

runService('hub', () => bootstrapHub(loadConfig()));
