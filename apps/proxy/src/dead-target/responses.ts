/**
 * Answers the proxy gives itself (never forwarded): the friendly 503 for a dead or missing
 * notebook, refusals, and the bare status line written onto a websocket upgrade socket.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendJson(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

export interface ServerRef {
  owner: string;
  serverName: string;
}

/** Spawn page path for a server: /hub/spawn/<name>[/<server>]. */
export function spawnPath(ref: ServerRef): string {
  const base = `/hub/spawn/${encodeURIComponent(ref.owner)}`;
  return ref.serverName ? `${base}/${encodeURIComponent(ref.serverName)}` : base;
}

/**
 * 503 for a user server that is not reachable: its target refused or timed out, or no route
 * exists (not started / already stopped). Same answer for both, so a page never reveals more.
 */
export function sendServerUnavailable(
  req: IncomingMessage,
  res: ServerResponse,
  ref: ServerRef,
  why: 'unreachable' | 'not-running',
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const label = ref.serverName ? `${ref.owner}'s server “${ref.serverName}”` : `${ref.owner}'s server`;
  const message =
    why === 'not-running'
      ? `${label} is not running.`
      : `${label} is not responding. It may have stopped, or still be starting.`;
  if (!wantsHtml(req)) {
    sendJson(res, 503, { status: 503, message, user: ref.owner, server_name: ref.serverName }, { 'retry-after': '5' });
    return;
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Server not available</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}a.button{display:inline-block;padding:.5rem 1rem;border-radius:4px;background:#f37524;color:#fff;text-decoration:none;margin-right:1rem}</style>
</head><body>
<h1>503: server not available</h1>
<p>${escapeHtml(message)}</p>
<p><a class="button" href="${escapeHtml(spawnPath(ref))}">Start it</a><a href="/hub/home">Back to the hub</a></p>
</body></html>
`;
  res.writeHead(503, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'retry-after': '5',
  });
  res.end(html);
}

/** Refusal of a request without rights: 302 to login for browsers, 403 JSON for API clients. */
export function sendRefusal(req: IncomingMessage, res: ServerResponse): void {
  if (wantsHtml(req)) {
    res.writeHead(302, {
      location: `/hub/login?next=${encodeURIComponent(req.url ?? '/')}`,
      'content-length': 0,
      'cache-control': 'no-store',
    });
    res.end();
    return;
  }
  sendJson(res, 403, { status: 403, message: 'You do not have permission to access this server.' });
}

export function sendNotFound(req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 404, { status: 404, message: `No service is registered at ${req.url ?? '/'}` });
}

export function sendBadRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, { status: 400, message });
}

export { sendJson };

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * Ends a websocket upgrade with a bare status line and destroys the socket at once: no
 * auxiliary request, no half-open socket (the CHP 5.1 socket-leak cases).
 */
export function rejectUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // end() flushes the status line; destroy once flushed (or after 1 s at most) so nothing stays half-open.
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    () => {
      clearTimeout(timer);
      socket.destroy();
    },
  );
}
