import http from 'node:http';

export interface Answer {
  /** 0: no answer (refused, reset, timed out). */
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with the path sent exactly as given (no URL normalisation: the probes send
 * `//user/…` and `/%75ser/…` on purpose), a timeout, and never a throw: no answer is status 0.
 */
export function request(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
  timeoutMs = 10_000,
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: rawPath,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text.length < 65_536 ? (text += c) : undefined));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    req.end(body);
  });
}

/** The hub's REST API through the proxy, as one API token holder. */
export class HubApi {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  call(method: string, path: string, body?: unknown): Promise<Answer> {
    return request(
      this.base,
      method,
      `/hub/api${path}`,
      { authorization: `token ${this.token}`, accept: 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );
  }
}

export const json = (a: Answer): any => {
  try {
    return JSON.parse(a.body);
  } catch {
    return undefined;
  }
};

/** Worth trying again: no answer, or the hub or a service behind it is down or busy. */
export const retryable = (a: Answer) => a.status === 0 || a.status === 429 || a.status >= 500;

/** A dummy-authenticator login through the proxy; the hub's session cookie, as a Cookie header. */
export async function loginCookie(base: string, user: string): Promise<string> {
  const form = await request(base, 'GET', '/hub/login', { accept: 'text/html' });
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.body)?.[1];
  const cookies = new Map<string, string>();
  const keep = (a: Answer) => {
    for (const raw of a.headers['set-cookie'] ?? []) {
      const first = raw.split(';')[0];
      const eq = first.indexOf('=');
      cookies.set(first.slice(0, eq), first.slice(eq + 1));
    }
  };
  keep(form);
  if (!xsrf) throw new Error(`login page for ${user}: ${form.status}, no _xsrf`);
  const body = new URLSearchParams({ username: user, password: '', _xsrf: xsrf, next: '/hub/home' }).toString();
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await request(
    base,
    'POST',
    '/hub/login',
    { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(), accept: 'text/html' },
    body,
  );
  keep(res);
  if (!cookies.has('condorhub-session')) throw new Error(`login as ${user}: ${res.status}, no session cookie`);
  return `condorhub-session=${cookies.get('condorhub-session')}`;
}
