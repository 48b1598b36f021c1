import type { Server } from 'node:http';
import request from 'supertest';

/** Cookies of the `Set-Cookie` headers of a response, by name (value, and the raw line). */
export function setCookies(res: { headers: Record<string, any> }): Map<string, { value: string; raw: string }> {
  const out = new Map<string, { value: string; raw: string }>();
  const list = res.headers['set-cookie'];
  for (const raw of Array.isArray(list) ? (list as string[]) : list ? [String(list)] : []) {
    const first = raw.split(';')[0];
    const eq = first.indexOf('=');
    out.set(first.slice(0, eq), { value: first.slice(eq + 1), raw });
  }
  return out;
}

export const csrfOf = (page: string) => /name="_xsrf" value="([^"]+)"/.exec(page)?.[1];

/** A browser for supertest: keeps the cookies the hub sets (expired ones dropped). */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly server: Server) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep<T extends { headers: Record<string, any> }>(res: T): T {
    for (const [name, c] of setCookies(res)) {
      if (/Max-Age=0/i.test(c.raw) || c.value === '') this.cookies.delete(name);
      else this.cookies.set(name, c.value);
    }
    return res;
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const res = await request(this.server)
      .get(path)
      .set({ Accept: 'text/html', ...headers, ...(this.cookies.size ? { Cookie: this.cookieHeader } : {}) })
      .redirects(0);
    return this.keep(res);
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await request(this.server)
      .post(path)
      .type('form')
      .set({ Accept: 'text/html', ...headers, ...(this.cookies.size ? { Cookie: this.cookieHeader } : {}) })
      .send(form)
      .redirects(0);
    return this.keep(res);
  }

  /** The CSRF token of a page (loads /hub/login when none is given). */
  async csrf(path = '/hub/login'): Promise<string> {
    const res = await this.get(path);
    const token = csrfOf(res.text);
    if (!token) throw new Error(`no _xsrf on ${path} (status ${res.status})`);
    return token;
  }

  /** Dummy login as `name`. */
  async login(name: string, password = '') {
    const _xsrf = await this.csrf();
    const res = await this.post('/hub/login', { username: name, password, _xsrf, next: '/hub/home' });
    if (res.status !== 303 || !this.cookies.has('condorhub-session')) {
      throw new Error(`login as ${name} failed: ${res.status} ${res.text.slice(0, 300)}`);
    }
    return res;
  }
}
