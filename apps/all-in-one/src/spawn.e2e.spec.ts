import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureUser } from '../../../tools/condor-sim/harness';
import { bootAll } from './boot-all';
import { type TestCondorhub, createTestCondorhub } from './testing/test-condorhub';

// The whole of condorhub with the real jupyterhub-singleuser (Debian's jupyterhub package),
// through the real proxy, on condor-sim.
const USER = 'chalice';

interface Progress {
  progress: number;
  message: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

async function readProgress(url: string, token: string, timeoutMs = 120_000): Promise<Progress[]> {
  const res = await fetch(url, {
    headers: { authorization: `token ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  assert.equal(res.status, 200);
  const events: Progress[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as Progress;
      events.push(event);
      if (event.ready || event.failed) return events;
    }
  }
  return events;
}

describe('end to end: a real notebook on condor-sim through the proxy', () => {
  let h: TestCondorhub;
  let base: string;
  let admin: string;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'e2e_spawn',
      env: { CONDORHUB_NOTEBOOK_CMD: 'jupyterhub-singleuser', CONDORHUB_PENDING_POLL_S: '0.5' },
      boot: (config) => bootAll(config),
    });
    base = h.config.CONDORHUB_PUBLIC_URL;
    admin = h.config.CONDORHUB_ADMIN_TOKEN!;
  });
  after(async () => h?.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}/hub/api${path}`, {
      ...init,
      headers: { authorization: `token ${admin}`, ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(30_000),
    });

  for (const serverName of ['', 'gpu']) {
    const label = serverName ? `named server "${serverName}"` : 'default server';
    const serverPath = serverName ? `/servers/${serverName}` : '/server';
    const prefix = serverName ? `/user/${USER}/${serverName}/` : `/user/${USER}/`;

    it(`${label}: start → every stage on the progress stream → ready → notebook answers through the proxy → stop`, async () => {
      const created = await api(`/users/${USER}`, { method: 'POST' });
      assert.ok([201, 409].includes(created.status), `create user: ${created.status}`);
      const start = await api(`/users/${USER}${serverPath}`, { method: 'POST', body: '{}' });
      assert.ok([201, 202].includes(start.status), `start: ${start.status} ${await start.text()}`);

      const progress = await readProgress(`${base}/hub/api/users/${USER}${serverPath}/progress`, admin);
      const last = progress.at(-1)!;
      assert.equal(last.ready, true, JSON.stringify(progress, null, 1));
      assert.equal(last.url, prefix);
      const messages = progress.map((p) => p.message).join('\n');
      for (const stage of [
        /Submitted as job \d+\.\d+/,
        /Running on 127\.0\.0\.\d+ \(slot/,
        /reported port \d+/,
        /Notebook answers/,
      ]) {
        assert.match(messages, stage);
      }

      // The notebook's own API, through the proxy, authenticated by the notebook against the hub.
      const nb = await fetch(`${base}${prefix}api`, {
        headers: { authorization: `token ${admin}` },
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(nb.status, 200);
      assert.match(String(((await nb.json()) as any).version), /^\d+\.\d+/);

      const model = (await (await api(`/users/${USER}`)).json()) as any;
      assert.equal(model.servers[serverName].ready, true);
      const jobId = model.servers[serverName].condorhub.jobId as string;

      const stop = await api(`/users/${USER}${serverPath}`, { method: 'DELETE' });
      assert.ok([202, 204].includes(stop.status));
      await h.waitForEvent(USER, serverName, 'ServerStopped', 30_000);
      const after = (await (await api(`/users/${USER}`)).json()) as any;
      assert.equal(after.servers[serverName], undefined, JSON.stringify(after.servers));
      // This job (by its id) has left condor_q and is in condor_history as removed. It may sit
      // in the queue as removed (X) until its process has exited, so the queue is polled.
      const condor = (tool: string, ...args: string[]) => {
        const r = spawnSync(path.join(h.sim.binDir, tool), args, {
          env: { ...process.env, ...h.sim.env },
          encoding: 'utf8',
          timeout: 15_000,
        });
        assert.equal(r.status, 0, `${tool} ${args.join(' ')}: ${r.error ?? ''}${r.stderr}`);
        return r.stdout.trim();
      };
      for (let deadline = Date.now() + 30_000; condor('condor_q', jobId, '-af', 'JobStatus') !== '';) {
        assert.ok(
          Date.now() < deadline,
          `job ${jobId} still in condor_q: ${condor('condor_q', jobId, '-af', 'JobStatus')}`,
        );
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(condor('condor_history', jobId, '-af', 'JobStatus'), '3', `job ${jobId} in condor_history, removed`);

      const types = (await h.events(USER, serverName)).map((e) => e.type as string);
      const story = [
        'SpawnRequested',
        'JobSubmitted',
        'JobRunning',
        'PortReported',
        'NotebookResponded',
        'RouteRequested',
        'RouteAdded',
        'ServerReady',
        'StopRequested',
        'RouteRemovalRequested',
        'JobRemovalRequested',
        'ServerStopped',
      ];
      let at = -1;
      for (const t of story) {
        const next = types.indexOf(t, at + 1);
        assert.ok(next > at, `${t} after position ${at} in ${types.join(',')}`);
        at = next;
      }
      // The route is gone: the proxy answers 503 for the stopped notebook.
      const gone = await fetch(`${base}${prefix}api`, { headers: { authorization: `token ${admin}` } });
      assert.equal(gone.status, 503);
    });
  }
});
