import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { ensureUser } from '../../../../../tools/condor-sim/harness';
import { bootAll } from '../../../../all-in-one/src/boot-all';
import { REPO_ROOT, type TestCondorhub, createTestCondorhub } from '../../../../all-in-one/src/testing/test-condorhub';

// The browser hub end to end: Chromium, the whole of condorhub (proxy included) on condor-sim,
// and the real jupyterhub-singleuser (Debian's jupyterhub 3.0, classic notebook 6).
const ALICE = 'pwalice';
const BOB = 'pwbob';
const READONLY = 'pwrohome';
const ADMIN = 'pwroot';
const SHOTS = path.join(REPO_ROOT, 'test-output/screenshots');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let h: TestCondorhub;
let base: string;
const contexts: BrowserContext[] = [];
const dirs: string[] = [];

async function browserFor(): Promise<Page> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condorhub-chromium-'));
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ARGS,
    viewport: { width: 1366, height: 860 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(30_000);
  contexts.push(context);
  return context.pages()[0] ?? context.newPage();
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function login(page: Page, name: string) {
  await page.goto(`${base}/hub/login`);
  await page.fill('input[name=username]', name);
  await Promise.all([page.waitForURL('**/hub/home'), page.click('form[action="/hub/login"] button[type=submit]')]);
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const u of [ALICE, BOB, READONLY]) ensureUser(u);
  h = await createTestCondorhub({
    label: 'e2e_browser',
    env: {
      CONDORHUB_NOTEBOOK_CMD: 'jupyterhub-singleuser',
      CONDORHUB_PENDING_POLL_S: '0.5',
      CONDORHUB_ADMIN_USERS: ADMIN,
    },
    boot: (config) => bootAll(config),
  });
  base = h.config.CONDORHUB_PUBLIC_URL;
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await h?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the browser hub, end to end', () => {
  it(
    'log in → Start → progress to ready → the real notebook runs print(6*7) → Stop',
    { timeout: 240_000 },
    async () => {
      const page = await browserFor();
      await page.goto(`${base}/hub/home`);
      await page.waitForURL('**/hub/login?next=*');
      await shot(page, '01-login');
      await login(page, ALICE);
      await shot(page, '02-home');

      // Start the default server from the form; the pending page follows the progress stream.
      await Promise.all([
        page.waitForURL(`**/hub/spawn-pending/${ALICE}`),
        page.click('#start-form button[type=submit]'),
      ]);
      await page.waitForSelector('#stages li');
      await shot(page, '03-spawn-pending');
      // The bar reaches ready before the page moves on to the notebook.
      await page.waitForSelector('.progress.ready[aria-valuenow="100"]', { timeout: 120_000 });
      await shot(page, '03b-spawn-ready');
      // Ready: the page opens the notebook, which logs the browser in through the hub's OAuth.
      await page.waitForURL(new RegExp(`/user/${ALICE}/tree`), { timeout: 120_000 });
      await page.waitForSelector('#notebook_list');
      await shot(page, '04-notebook-tree');

      // A new notebook, from the notebook's own New menu (it opens in a new tab).
      await page.click('#new-dropdown-button');
      const [nb] = await Promise.all([page.context().waitForEvent('page'), page.click('#kernel-python3 a')]);
      await nb.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { state: 'attached', timeout: 60_000 });
      await nb.click('.code_cell .CodeMirror');
      await nb.keyboard.type('print(6*7)');
      await nb.keyboard.press('Shift+Enter');
      const output = nb.locator('.output_subarea.output_stream pre').first();
      await output.waitFor({ timeout: 60_000 });
      assert.equal((await output.textContent())?.trim(), '42');
      await shot(nb, '05-notebook-42');
      await nb.close();

      // Home shows it running, with its job and host; the timeline pictures the spawn.
      await page.goto(`${base}/hub/home`);
      const row = page.locator('tr[data-server=""]');
      await row.locator('.badge', { hasText: 'Running' }).waitFor();
      assert.match((await row.textContent()) ?? '', /\d+\.\d+/);
      await shot(page, '06-home-running');
      await page.goto(`${base}/hub/timeline/${ALICE}`);
      await page.waitForSelector('svg.timeline-svg rect');
      await shot(page, '07-timeline');

      // Another user can neither open alice's notebook nor her hub pages.
      const bob = await browserFor();
      await login(bob, BOB);
      const refused = await bob.goto(`${base}/user/${ALICE}/tree`);
      assert.equal(refused?.status(), 403);
      assert.match((await bob.textContent('main')) ?? '', /belongs to pwalice/);
      await shot(bob, '08-other-user-refused');
      assert.equal((await bob.goto(`${base}/hub/spawn-pending/${ALICE}`))?.status(), 403);

      // The admin sees the server and the nodes.
      const admin = await browserFor();
      await login(admin, ADMIN);
      await admin.goto(`${base}/hub/admin`);
      await admin.locator('#admin-servers td', { hasText: ALICE }).first().waitFor();
      await admin.locator('#nodes tr[data-host]').first().waitFor();
      await shot(admin, '09-admin');

      // Stop from home; the row ends stopped (the page refreshes itself while stopping).
      await page.goto(`${base}/hub/home`);
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/hub/stop/${ALICE}`)),
        row.locator('button', { hasText: 'Stop' }).click(),
      ]);
      await page.locator('tr[data-server=""] .badge', { hasText: /^Stopped$/ }).waitFor({ timeout: 60_000 });
      await shot(page, '10-home-stopped');

      // The proxy sends a browser for a stopped notebook to the hub, which explains and offers Start.
      const gone = await page.goto(`${base}/user/${ALICE}/tree`);
      assert.equal(gone?.status(), 503);
      await Promise.all([page.waitForURL(`**/hub/spawn/${ALICE}`), page.click('a.button[href^="/hub/spawn/"]')]);
      await page.locator('text=This notebook is not running').waitFor();
      await shot(page, '11-spawn-landing');
    },
  );

  it('a spawn on a read-only home shows the home diagnosis on the page', { timeout: 180_000 }, async () => {
    const home = ensureUser(READONLY).home;
    fs.chmodSync(home, 0o500);
    try {
      const page = await browserFor();
      await login(page, READONLY);
      await Promise.all([
        page.waitForURL(`**/hub/spawn-pending/${READONLY}`),
        page.click('#start-form button[type=submit]'),
      ]);
      const failure = page.locator('#failure');
      await failure.waitFor({ timeout: 120_000 });
      assert.equal(await failure.getAttribute('data-diagnosis'), 'home-not-writable');
      assert.match((await failure.textContent()) ?? '', /home directory is not writable/i);
      await page.locator('#failure button', { hasText: 'Try again' }).waitFor();
      await shot(page, '12-spawn-failed-readonly-home');
    } finally {
      fs.chmodSync(home, 0o755);
    }
  });
});
