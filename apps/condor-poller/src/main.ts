import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapCondorPoller } from './bootstrap';

runService('condor-poller', () => bootstrapCondorPoller(loadConfig()));
