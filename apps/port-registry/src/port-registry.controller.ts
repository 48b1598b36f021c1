import { Body, Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { RegistryError, presentedToken } from './auth/server-token';
import { LauncherReportHandler } from './launcher-report/launcher-report.handler';
import { ReportPortHandler } from './report-port/report-port.handler';

/** HTTP side of the port registry: thin, the handlers decide. */
@Controller('hub/api')
export class PortRegistryController {
  constructor(
    private readonly reportPort: ReportPortHandler,
    private readonly launcherReport: LauncherReportHandler,
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
