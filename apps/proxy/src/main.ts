import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapProxy } from './bootstrap';

runService('proxy', () => bootstrapProxy(loadConfig()));
