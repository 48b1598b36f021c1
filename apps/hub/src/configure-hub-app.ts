import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { HUB_OPTIONS, type HubOptions } from './hub-options';
import { HubExceptionFilter, writeJsonError } from './http/hub-exception.filter';

/**
 * What the hub needs on the HTTP app around its controllers: the version header on every
 * response, a bounded JSON body parser whose errors are JupyterHub-style JSON, and the error
 * filter. Create the app with `{ bodyParser: false }` and call this before `init()`/`listen()`.
 */
export function configureHubApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<Config>(CONFIG);
  const options = app.get<HubOptions>(HUB_OPTIONS);
  app.disable('x-powered-by');
  // Every response, errors and 404s included: jupyterhub-singleuser checks it on /hub/api/.
  app.use((_req: IncomingMessage, res: ServerResponse, next: () => void) => {
    res.setHeader('X-JupyterHub-Version', config.CONDORHUB_JUPYTERHUB_VERSION);
    next();
  });
  // Forms: the pages' posts and the OAuth token request (RFC 6749 says form-encoded). The REST
  // API keeps JupyterHub's rule below, so `curl -d '{…}'` (form content type) still means JSON.
  app.useBodyParser('urlencoded', {
    limit: options.bodyLimitBytes,
    extended: false,
    type: (req: IncomingMessage) =>
      /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '') &&
      (!(req.url ?? '').startsWith('/hub/api/') || (req.url ?? '').startsWith('/hub/api/oauth2/token')),
  });
  // JupyterHub parses a body as JSON whatever its Content-Type; so do we.
  app.useBodyParser('json', { limit: options.bodyLimitBytes, type: () => true, strict: false });
  // Parser errors (too large, not JSON) never reach a controller; answer them here.
  app.use((error: any, _req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void) => {
    if (!error) return next();
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
    const message =
      status === 413
        ? `Request body too large (limit ${options.bodyLimitBytes} bytes)`
        : error.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : String(error.message ?? 'Bad request');
    writeJsonError(res, status, message);
  });
  app.useGlobalFilters(new HubExceptionFilter());
  return app;
}
