import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapProjector } from './bootstrap';

runService('projector', () => bootstrapProjector(loadConfig()));
