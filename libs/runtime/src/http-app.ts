import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { handleOpsRequest } from '@condorhub/metrics';

/**
 * JSON bodies with a size limit, and JupyterHub-style JSON errors for bodies that are too
 * large (413) or not JSON (400): bad input gets a clear answer and changes nothing.
 * Call on an app created with `{ bodyParser: false }`.
 */
export function useJsonBodies(app: INestApplication, limit = '64kb') {
  app.use(express.json({ limit, type: ['application/json', 'application/*+json', 'text/plain'] }));
  app.use(express.urlencoded({ limit, extended: false }));
  app.use((error: any, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const status = error.type === 'entity.too.large' ? 413 : error.type === 'entity.parse.failed' ? 400 : error.status;
    if (status === 413 || status === 400) {
      return res.status(status).json({
        status,
        message: status === 413 ? `request body larger than ${limit}` : 'request body is not valid JSON',
      });
    }
    return next(error);
  });
}

/** /metrics, /health and /ready on the app's own port (libs/metrics); before any other route. */
export function serveOpsEndpoints(app: INestApplication) {
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!handleOpsRequest(req, res)) next();
  });
}
