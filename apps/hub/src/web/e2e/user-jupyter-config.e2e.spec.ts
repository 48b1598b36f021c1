import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { ensureUser } from '../../../../../tools/condor-sim/harness';
import { bootAll } from '../../../../all-in-one/src/boot-all';
import { REPO_ROOT, type TestCondorhub, createTestCondorhub } from '../../../../all-in-one/src/testing/test-condorhub';

// A user whose ~/.jupyter fixes the notebook's port starts a server from the browser: the
// launcher's preflight refuses before Jupyter starts, and the pending page names the file and
// the setting. Chromium, the whole of condorhub on condor-sim, the real launcher.
const USER = 'pwjupcfg';
const SHOTS = path.join(REPO_ROOT, 'test-output/screenshots');

let h: TestCondorhub;
let context: BrowserContext | undefined;
let profile: string;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  ensureUser(USER);
  h = await createTestCondorhub({
    label: 'e2e_jupyter_config',
    env: { CONDORHUB_NOTEBOOK_CMD: 'jupyterhub-singleuser', CONDORHUB_PENDING_POLL_S: '0.5' },
    boot: (config) => bootAll(config),
  });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'condorhub-chromium-'));
});

after(async () => {
  await context?.close().catch(() => undefined);
  await h?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

async function browser(): Promise<Page> {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1366, height: 860 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(30_000);
  return context.pages()[0] ?? context.newPage();
}

describe('a ~/.jupyter setting that breaks the connection, in the browser', () => {
  it('the pending page names the config file and the setting', { timeout: 180_000 }, async () => {
    const { uid, gid, home } = ensureUser(USER);
    const dir = path.join(home, '.jupyter');
    const file = path.join(dir, 'jupyter_notebook_config.py');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, 'c = get_config()\nc.NotebookApp.open_browser = False\nc.NotebookApp.port = 8888\n');
    fs.chownSync(dir, uid, gid);
    fs.chownSync(file, uid, gid);
    try {
      const page = await browser();
      const base = h.config.CONDORHUB_PUBLIC_URL;
      await page.goto(`${base}/hub/login`);
      await page.fill('input[name=username]', USER);
      await Promise.all([page.waitForURL('**/hub/home'), page.click('form[action="/hub/login"] button[type=submit]')]);
      await Promise.all([
        page.waitForURL(`**/hub/spawn-pending/${USER}`),
        page.click('#start-form button[type=submit]'),
      ]);
      const failure = page.locator('#failure');
      await failure.waitFor({ timeout: 120_000 });
      assert.equal(await failure.getAttribute('data-diagnosis'), 'user-jupyter-config');
      const text = (await failure.textContent()) ?? '';
      assert.ok(text.includes(`${file} sets c.NotebookApp.port`), text);
      assert.match(text, /fixed port/);
      await page.locator('#failure button', { hasText: 'Try again' }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, '13-spawn-failed-jupyter-config.png'), fullPage: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
