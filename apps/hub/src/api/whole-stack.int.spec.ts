// The REST API against the whole of condorhub on condor-sim (real spawner, poller, port
// registry, proxy and projector; the stand-in notebook): what a client reads right after its
// own writes, and the external idle culler stopping a real job.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { bootAll } from '../../../all-in-one/src/boot-all';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { cullIdle } from '../testing/idle-culler';

const USER = 'chryw';

async function readProgress(url: string, token: string): Promise<any[]> {
  const res = await fetch(url, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(60_000) });
  assert.equal(res.status, 200);
  const events: any[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer
        .slice(0, at)
        .split('\n')
        .find((l) => l.startsWith('data: '));
      buffer = buffer.slice(at + 2);
      if (!data) continue;
      const event = JSON.parse(data.slice(6));
      events.push(event);
      if (event.ready || event.failed) return events;
    }
  }
  return events;
}

describe('the REST API on the whole stack', () => {
  let h: TestCondorhub;
  let api: (path: string, init?: RequestInit) => Promise<Response>;
  let token: string;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'hub_whole_stack',
      // Jobs match 4 s after submit: longer than the hub waits before answering a start 202.
      sim: { delayMs: 4_000 },
      env: { CONDORHUB_PENDING_POLL_S: '0.3' },
      boot: (config) => bootAll(config),
    });
    token = h.config.CONDORHUB_ADMIN_TOKEN!;
    api = (path, init = {}) =>
      fetch(`${h.config.CONDORHUB_PUBLIC_URL}/hub/api${path}`, {
        ...init,
        headers: { authorization: `token ${token}`, ...(init.headers ?? {}) },
        signal: AbortSignal.timeout(30_000),
      });
  });
  after(async () => h?.close());

  it('a start is pending at once, ready as soon as the progress says so, and the culler stops it when idle', async () => {
    assert.equal((await api(`/users/${USER}`, { method: 'POST' })).status, 201);
    const start = await api(`/users/${USER}/server`, { method: 'POST', body: '{}' });
    assert.equal(start.status, 202, await start.text());

    const pending = (await (await api(`/users/${USER}`)).json()) as any;
    assert.equal(pending.pending, 'spawn');
    assert.equal(pending.servers[''].pending, 'spawn');
    const active = (await (await api('/users?state=active')).json()) as any[];
    assert.equal(active.find((u) => u.name === USER)?.servers['']?.pending, 'spawn');

    const progress = await readProgress(
      `${h.config.CONDORHUB_PUBLIC_URL}/hub/api/users/${USER}/server/progress`,
      token,
    );
    assert.equal(progress.at(-1).ready, true, JSON.stringify(progress));
    const ready = (await (await api(`/users/${USER}`)).json()) as any;
    assert.equal(ready.servers[''].ready, true);
    assert.equal(ready.servers[''].pending, null);
    assert.equal(ready.server, `/user/${USER}/`);
    const readyList = (await (await api('/users?state=ready')).json()) as any[];
    assert.equal(readyList.find((u) => u.name === USER)?.servers['']?.ready, true);
    const jobId = ready.servers[''].condorhub.jobId as string;

    // The culler, run as if an hour later, through the proxy as a site would run it.
    const o = {
      now: Date.now() + 60 * 60_000,
      inactiveLimitS: 600,
      cullUsers: false,
      removeNamedServers: true,
      cullAdminUsers: false,
      apiPageSize: 0,
      log: [] as string[],
      errors: [] as string[],
    };
    await cullIdle(`${h.config.CONDORHUB_PUBLIC_URL}/hub/api`, token, o);
    assert.deepEqual(o.errors, []);
    assert.ok(
      o.log.some((l) => l.startsWith('DELETE') && l.endsWith(`/users/${USER}/server`)),
      o.log.join('\n'),
    );
    await h.waitForEvent(USER, '', 'ServerStopped', 30_000);
    const after = (await (await api(`/users/${USER}`)).json()) as any;
    assert.deepEqual(after.servers, {});
    const status = await h.sim.ctl('status');
    assert.ok(!new RegExp(`"${jobId.replace('.', '\\.')}"[^}]*"(running|idle)"`).test(status), status);
  });
});
