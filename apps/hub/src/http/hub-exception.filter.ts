import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function writeJsonError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ status, message });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Every error leaves the hub as JupyterHub's JSON error; internals are logged, not sent. */
@Catch()
export class HubExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('hub');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse() as any;
      const message =
        typeof body === 'object' && body && typeof body.message === 'string'
          ? body.message
          : typeof body === 'string'
            ? body
            : (REASONS[status] ?? 'Error');
      writeJsonError(res, status, message);
      return;
    }
    this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    writeJsonError(res, 500, 'Internal Server Error');
  }
}
