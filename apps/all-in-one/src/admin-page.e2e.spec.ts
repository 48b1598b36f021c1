import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions } from '@condorhub/config';
import { type EventEnvelope, adminStreamId, groupStreamId, newEvent, nodeStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { DurableConsumer, idempotent, sendCommand } from '@condorhub/messaging';
import { CONDOR_SIM_BIN, ensureUser, waitFor } from '../../../tools/condor-sim/harness';
import { bootAll } from './boot-all';
import { REPO_ROOT, type TestCondorhub, createTestCondorhub } from './testing/test-condorhub';

// The admin page end to end (here, not in apps/hub: it checks the queue with libs/condor, which
// the hub may not import): Chromium, the whole of condorhub on condor-sim. A server whose
// stop is stuck (condor_rm does not answer) is force-removed; a dead letter, made by a real
// consumer that could not handle an event, is replayed once the consumer is fixed; users are
// added and deleted; a quarantined node is released. Every action shows in the admin's trail.
const ADMIN = 'pwadmin';
const STUCK = 'pwstuck';
const NODE = '127.0.0.99';
const SHOTS = path.join(REPO_ROOT, 'test-output/screenshots');

let h: TestCondorhub;
let context: BrowserContext | undefined;
let consumer: DurableConsumer | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condorhub-chromium-'));
// condor_rm waits while this file exists: a schedd that does not answer a removal.
const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-e2e-bin-'));
const rmHangs = path.join(bin, 'rm-hangs');
/** Groups the test consumer mirrored; it fails on the group `broken` until the "fix". */
const handled: string[] = [];
let broken = true;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  ensureUser(STUCK);
  fs.chmodSync(bin, 0o755);
  for (const tool of fs.readdirSync(CONDOR_SIM_BIN).filter((t) => t.startsWith('condor_'))) {
    const real = path.join(CONDOR_SIM_BIN, tool);
    const script =
      tool === 'condor_rm'
        ? `#!/bin/sh\nn=0\nwhile [ -e '${rmHangs}' ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done\nexec '${real}' "$@"\n`
        : `#!/bin/sh\nexec '${real}' "$@"\n`;
    fs.writeFileSync(path.join(bin, tool), script);
    fs.chmodSync(path.join(bin, tool), 0o755);
  }
  h = await createTestCondorhub({
    label: 'e2e_admin',
    env: {
      CONDORHUB_CONDOR_BIN: bin,
      CONDORHUB_ADMIN_USERS: ADMIN,
      // condor_rm hangs while the test needs the stop stuck; the spawner's call waits that long.
      CONDORHUB_CONDOR_TIMEOUT_S: '120',
      CONDORHUB_PENDING_POLL_S: '0.3',
      CONDORHUB_IDLE_TIMEOUT_S: '300',
    },
    boot: (config) => bootAll(config),
  });
  consumer = new DurableConsumer({
    nc: h.nats.nc,
    streamName: h.nats.streamName,
    prefix: h.nats.prefix,
    durable: 'e2e-group-mirror',
    types: ['GroupCreated'],
    pool: h.db.pool,
    maxDeliver: 2,
    backoffMs: [50],
    handle: idempotent(h.db.pool, 'e2e-group-mirror', async (e: EventEnvelope) => {
      const target = (e.data as { name: string }).name;
      if (broken && target === 'broken') throw new Error(`cannot mirror ${target} yet`);
      handled.push(target);
    }),
  });
  await consumer.start();
});

after(async () => {
  fs.rmSync(rmHangs, { force: true });
  await context?.close().catch(() => undefined);
  await consumer?.stop().catch(() => undefined);
  await h?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(bin, { recursive: true, force: true });
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Submits the form `button` is in and waits for the admin page it returns to, saying `done`. */
async function submit(page: Page, button: ReturnType<Page['locator']>, done: string) {
  // Each action's key differs from the one before, so the page already shown never matches.
  await Promise.all([page.waitForURL(new RegExp(`/hub/admin\\?done=${done}&`)), button.click()]);
}

describe('the admin page in the browser', () => {
  it(
    'adds and deletes users, replays a dead letter, force-removes a stuck server, releases a node; each audited',
    { timeout: 240_000 },
    async () => {
      // A server whose stop is stuck: ready, then asked to stop while condor_rm does not answer.
      const command = (verb: 'start' | 'stop') =>
        sendCommand(
          h.nats.nc,
          h.config.CONDORHUB_NATS_PREFIX,
          'spawner',
          verb,
          verb === 'start'
            ? { user: STUCK, serverName: '', by: STUCK }
            : { user: STUCK, serverName: '', by: STUCK, reason: 'user' },
          10_000,
        );
      assert.equal((await command('start')).accepted, true);
      await h.waitForEvent(STUCK, '', 'ServerReady', 90_000);
      fs.writeFileSync(rmHangs, '');
      assert.equal((await command('stop')).accepted, true);
      await h.waitForEvent(STUCK, '', 'StopRequested', 10_000);

      // A dead letter: the test consumer cannot handle this event yet (two tries, then given up).
      await appendToStream(h.db.pool, groupStreamId('broken'), [
        newEvent('GroupCreated', { name: 'broken', users: [], by: 'test' }),
      ]);
      await waitFor(
        'a dead letter',
        async () => ((await h.db.pool.query('SELECT 1 FROM dead_letters')).rowCount ?? 0) > 0,
        30_000,
      );

      // A quarantined node, as the spawner records one after strikes by several users.
      await appendToStream(h.db.pool, nodeStreamId(NODE), [
        newEvent('NodeStrikeRecorded', {
          host: NODE,
          spawnId: randomUUID(),
          user: 'u1',
          reason: 'launcher never reported',
        }),
        newEvent('NodeStrikeRecorded', {
          host: NODE,
          spawnId: randomUUID(),
          user: 'u2',
          reason: 'notebook exited 127',
        }),
        newEvent('NodeQuarantined', { host: NODE, reason: '2 failed spawns of 2 users', strikes: 2 }),
      ]);

      context = await chromium.launchPersistentContext(dir, {
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        viewport: { width: 1366, height: 900 },
        timeout: 30_000,
      });
      context.setDefaultTimeout(30_000);
      const page = context.pages()[0] ?? (await context.newPage());
      // Delete and force-remove ask first; the admin says yes (and the question is recorded).
      const asked: string[] = [];
      page.on('dialog', (d) => {
        asked.push(d.message());
        void d.accept();
      });
      const base = h.config.CONDORHUB_PUBLIC_URL;
      await page.goto(`${base}/hub/login`);
      await page.fill('input[name=username]', ADMIN);
      await Promise.all([page.waitForURL('**/hub/home'), page.click('form[action="/hub/login"] button[type=submit]')]);
      await page.goto(`${base}/hub/admin`);
      await page.locator(`#nodes tr[data-host="${NODE}"]`).waitFor();
      await page.locator('#dead-letters tr[data-dead-letter]').first().waitFor();
      await shot(page, '14-admin-overview');

      // Users: several at once, then one deleted.
      await page.fill('#users textarea[name=names]', 'pwnew1\npwnew2');
      await submit(page, page.locator('#users form.add-users button[type=submit]'), 'added');
      assert.match((await page.locator('.notice').textContent()) ?? '', /Added pwnew1, pwnew2\./);
      await page.locator('#users tr[data-user="pwnew2"]').waitFor();
      await shot(page, '15-admin-users-added');
      await submit(page, page.locator('#users tr[data-user="pwnew2"] button[type=submit]'), 'deleted');
      assert.match((await page.locator('.notice').textContent()) ?? '', /Deleted pwnew2\./);
      assert.equal(await page.locator('#users tr[data-user="pwnew2"]').count(), 0);
      assert.equal(await page.locator('#users tr[data-user="pwnew1"]').count(), 1);
      // No delete button for yourself.
      assert.equal(await page.locator(`#users tr[data-user="${ADMIN}"] button`).count(), 0);

      // The dead letter: listed with its consumer and error, replayed after the fix.
      const letter = page.locator('#dead-letters tr[data-dead-letter]').first();
      assert.match(
        (await letter.textContent()) ?? '',
        /e2e-group-mirror[^]*GroupCreated on group-broken[^]*cannot mirror broken yet/,
      );
      broken = false;
      await submit(page, letter.locator('button[type=submit]'), 'replayed');
      assert.match((await page.locator('.notice').textContent()) ?? '', /Replayed 1 dead letter\./);
      for (let i = 0; i < 200 && !handled.includes('broken'); i++) await sleep(100);
      assert.ok(handled.includes('broken'), 'the consumer handled the replayed event');
      assert.match((await page.locator('#dead-letters tr[data-dead-letter]').first().textContent()) ?? '', /last/);
      await shot(page, '16-admin-dead-letter-replayed');

      // The stuck server: Stopping for good until force-removed; then its job goes too.
      const row = page.locator('#admin-servers tr', { hasText: STUCK });
      assert.match((await row.textContent()) ?? '', /Stopping/);
      await shot(page, '17-admin-stuck-server');
      await submit(page, row.locator('form[action="/hub/admin/servers/force-remove"] button'), 'removed');
      assert.match((await page.locator('.notice').textContent()) ?? '', new RegExp(`Force-removed ${STUCK}/`));
      const stopped = await h.waitForEvent(STUCK, '', 'ServerStopped', 10_000);
      assert.equal((stopped.data as { reason: string }).reason, `force-removed by admin:${ADMIN}`);
      assert.equal(await page.locator('#admin-servers tr', { hasText: STUCK }).count(), 0);
      fs.rmSync(rmHangs, { force: true });
      const condor = new CondorClient(condorClientOptions(h.config));
      let left = 1;
      for (let i = 0; i < 600 && left; i++) {
        const q = await condor.query();
        left = q.status === 'ok' ? q.jobs.filter((j) => j.owner === STUCK && j.status !== 'removing').length : 1;
        if (left) await sleep(100);
      }
      assert.equal(left, 0, 'the job was removed from the queue');

      // The quarantined node: its strikes and their evidence, then released.
      const node = page.locator(`#nodes tr[data-host="${NODE}"]`);
      await node.locator('details.strikes summary').click();
      const evidence = (await node.textContent()) ?? '';
      assert.match(evidence, /Quarantined[^]*launcher never reported[^]*notebook exited 127/);
      await shot(page, '18-admin-quarantined-node');
      await submit(page, node.locator('button[type=submit]'), 'released');
      assert.match(
        (await page.locator('.notice').textContent()) ?? '',
        new RegExp(`Released ${NODE.replace(/\./g, '\\.')}\\.`),
      );
      assert.match(
        (await page.locator(`#nodes tr[data-host="${NODE}"]`).textContent()) ?? '',
        /Healthy[^]*released by admin:pwadmin/,
      );

      assert.deepEqual(asked, [
        'Delete pwnew2?',
        `Force-remove ${STUCK}/? Its entry ends now; the spawner still removes the job.`,
      ]);

      // The trail names the admin for each action.
      const trail = (await page.locator('#admin-actions').textContent()) ?? '';
      for (const what of [
        'added users',
        'deleted user',
        'replayed dead letters',
        'force-removed server',
        'released node',
      ])
        assert.match(trail, new RegExp(`${ADMIN}\\s*${what}`), what);
      const recorded = (await readStream(h.db.pool, adminStreamId(ADMIN))).map(
        (e) => (e.data as { action: string }).action,
      );
      assert.deepEqual(recorded, [
        'users-added',
        'user-deleted',
        'dead-letters-replayed',
        'server-force-removed',
        'node-released',
      ]);
      await page.locator('#admin-actions').scrollIntoViewIfNeeded();
      await shot(page, '19-admin-actions');
    },
  );
});
