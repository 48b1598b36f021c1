import { Body, Controller, Headers, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Config } from '@condorhub/config';
import { CONFIG, clientAddress } from '@condorhub/runtime';
import { RegistryError, presentedToken } from './auth/server-token';
import { ExchangeApiTokenHandler } from './exchange-api-token/exchange-api-token.handler';
import { LauncherReportHandler } from './launcher-report/launcher-report.handler';
import { ReportPortHandler } from './report-port/report-port.handler';

/** HTTP side of the port registry: thin, the handlers decide. */
@Controller('hub/api')
export class PortRegistryController {
  constructor(
    private readonly reportPort: ReportPortHandler,
    private readonly launcherReport: LauncherReportHandler,
    private readonly exchangeApiToken: ExchangeApiTokenHandler,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Post('batchspawner')
  @HttpCode(200)
  async batchspawner(
    @Headers('authorization') auth: string,
    @Query() q: unknown,
    @Body() body: unknown,
    @Res() res: Response,
  ) {
    await respond(res, () => this.reportPort.handle(presentedToken(auth, q), body));
  }

  @Post('condorhub/launcher')
  @HttpCode(200)
  async launcher(
    @Headers('authorization') auth: string,
    @Query() q: unknown,
    @Body() body: unknown,
    @Res() res: Response,
  ) {
    await respond(res, () => this.launcherReport.handle(presentedToken(auth, q), body));
  }

  /** The launcher's one-time credential for the server's API token (see the handler). */
  @Post('condorhub/launcher/api-token')
  @HttpCode(200)
  async apiToken(@Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    const from = clientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      this.config.CONDORHUB_TRUSTED_PROXIES,
    );
    // The answer holds a secret: no cache on the way may keep it.
    res.setHeader('cache-control', 'no-store');
    await respond(res, () => this.exchangeApiToken.handle(body, from));
  }
}

async function respond(res: Response, fn: () => Promise<unknown>) {
  try {
    res.status(200).json(await fn());
  } catch (error) {
    if (error instanceof RegistryError) {
      res.status(error.status).json({ status: error.status, message: error.message });
    } else {
      res.status(500).json({ status: 500, message: 'internal error' });
      throw error;
    }
  }
}
