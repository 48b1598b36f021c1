import { HttpException } from '@nestjs/common';

/**
 * An API error as JupyterHub writes it: `{"status": N, "message": "..."}`. Thrown by handlers;
 * the exception filter turns it (and Nest's own exceptions) into that body.
 */
export class HubError extends HttpException {
  constructor(status: number, message: string) {
    super({ status, message }, status);
  }
}

export const badRequest = (message: string) => new HubError(400, message);
export const notFound = (message: string) => new HubError(404, message);
