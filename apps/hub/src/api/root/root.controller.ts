import { Controller, Get, Inject } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';

/** GET /hub/api/: no auth, as jupyterhub-singleuser checks it at start. */
@Controller('hub/api')
export class RootController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  root() {
    return { version: this.config.CONDORHUB_JUPYTERHUB_VERSION };
  }
}
