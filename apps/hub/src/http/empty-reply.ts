import type { ServerResponse } from 'node:http';

// JupyterHub answers start/stop with an empty text/plain body: the status code is the answer.
export function emptyReply(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain');
  res.end();
}
