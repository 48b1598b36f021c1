import type { IncomingMessage } from 'node:http';

/**
 * The API token of a request, where JupyterHub looks for it: `Authorization: token X` or
 * `Authorization: bearer X` (either case), else the `?token=` query argument.
 */
export function extractToken(req: Pick<IncomingMessage, 'headers' | 'url'>): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^\s*(token|bearer)\s+(\S+)\s*$/i.exec(header);
    if (m) return m[2];
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const token = new URLSearchParams(url.slice(q + 1)).get('token');
    if (token) return token;
  }
  return undefined;
}
