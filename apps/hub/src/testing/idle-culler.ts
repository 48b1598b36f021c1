import assert from 'node:assert/strict';
import http from 'node:http';

// The external jupyterhub-idle-culler (jupyterhub/jupyterhub-idle-culler, `cull_idle`) against
// the hub over real HTTP: the same requests, headers and bodies in the same order, and the
// same decisions on the answers. Only its clock is a parameter, so that "30 minutes later"
// needs no waiting.

interface Reply {
  status: number;
  body: any;
}

/** One request as tornado's client sends it: no Content-Type on a DELETE body; non-2xx throws. */
function send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: { ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 400) return reject(new Error(`HTTP ${status} ${method} ${url}: ${text}`));
          resolve({ status, body: text ? JSON.parse(text) : null });
        });
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface CullOptions {
  now: number;
  inactiveLimitS: number;
  cullUsers: boolean;
  removeNamedServers: boolean;
  cullAdminUsers: boolean;
  apiPageSize: number;
  /** Every request made, `METHOD url`, for the test to look at. */
  log: string[];
  errors: string[];
}

export async function cullIdle(url: string, token: string, o: CullOptions): Promise<void> {
  const auth = { Authorization: `token ${token}` };
  const call = async (method: string, u: string, headers: Record<string, string>, body?: string) => {
    o.log.push(`${method} ${u}`);
    return send(method, u, headers, body);
  };
  async function* paginated(u: string) {
    let next: string | null = u;
    while (next) {
      const res: Reply = await call('GET', next, { ...auth, Accept: 'application/jupyterhub-pagination+json' });
      if (Array.isArray(res.body)) {
        yield* res.body;
        return;
      }
      next = res.body._pagination.next?.url ?? null;
      yield* res.body.items;
    }
  }
  // Newer cullers read the version from the API root, older ones from /info.
  const root = await call('GET', `${url}/`, auth);
  const info = await call('GET', `${url}/info`, auth);
  assert.equal(root.body.version, info.body.version);
  const stateFilter = versionAtLeast(root.body.version, [1, 3, 0]);
  const seconds = (iso: string) => (o.now - Date.parse(iso)) / 1000;

  const handleServer = async (user: any, serverName: string, server: any): Promise<boolean> => {
    if (server.pending) return false;
    if (!(server.ready ?? Boolean(server.url))) return false;
    const age = server.started ? seconds(server.started) : undefined;
    const inactive = server.last_activity ? seconds(server.last_activity) : age;
    if (!(inactive !== undefined && inactive >= o.inactiveLimitS)) return false;
    let target: string;
    let body: string | undefined;
    if (serverName) {
      target = `${url}/users/${encodeURIComponent(user.name)}/servers/${encodeURIComponent(server.name)}`;
      if (o.removeNamedServers) body = JSON.stringify({ remove: true });
    } else {
      target = `${url}/users/${encodeURIComponent(user.name)}/server`;
    }
    const res = await call('DELETE', target, auth, body);
    return res.status !== 202;
  };

  const handleUser = async (user: any): Promise<boolean> => {
    const results = await Promise.all(
      Object.entries(user.servers ?? {}).map(([name, server]) => handleServer(user, name, server)),
    );
    if (!o.cullUsers) return false;
    if (results.some((stopped) => !stopped)) return false;
    const age = user.created ? seconds(user.created) : undefined;
    const inactive = user.last_activity ? seconds(user.last_activity) : age;
    const cull = inactive !== undefined && inactive >= o.inactiveLimitS && (o.cullAdminUsers || !user.admin);
    if (!cull) return false;
    await call('DELETE', `${url}/users/${user.name}`, auth);
    return true;
  };

  // Python coroutines: created while paging, run only when awaited below, one user at a time.
  const jobs: [string, () => Promise<boolean>][] = [];
  const limit = o.apiPageSize ? `&limit=${o.apiPageSize}` : '';
  if (stateFilter && o.cullUsers) {
    for await (const user of paginated(`${url}/users?state=inactive${limit}`))
      jobs.push([user.name, () => handleUser(user)]);
  }
  for await (const user of paginated(`${url}/users?${stateFilter ? 'state=ready' : ''}${limit}`)) {
    jobs.push([user.name, () => handleUser(user)]);
  }
  for (const [name, job] of jobs) {
    // The culler logs a failed user and goes on with the others.
    await job().catch((e: Error) => o.errors.push(`${name}: ${e.message}`));
  }
}

function versionAtLeast(version: string, min: number[]): boolean {
  const v = version.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  return true;
}
