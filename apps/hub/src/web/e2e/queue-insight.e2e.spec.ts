import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type BrowserContext, chromium } from 'playwright-core';
import { ensureUser } from '../../../../../tools/condor-sim/harness';
import { bootAll } from '../../../../all-in-one/src/boot-all';
import { REPO_ROOT, type TestCondorhub, createTestCondorhub } from '../../../../all-in-one/src/testing/test-condorhub';

// The pending page of a spawn no slot can take says why it waits, from the queue API.
const USER = 'pwbigjob';
const SHOTS = path.join(REPO_ROOT, 'test-output/screenshots');

let h: TestCondorhub;
let context: BrowserContext | undefined;
let dir: string;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  ensureUser(USER);
  h = await createTestCondorhub({
    label: 'e2e_queue',
    // Two hosts of 4 CPUs; the site allows asking for 64.
    sim: { hosts: 2, slots: 4 },
    env: { CONDORHUB_MAX_CPUS: '64', CONDORHUB_IDLE_TIMEOUT_S: '300' },
    boot: (config) => bootAll(config),
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condorhub-chromium-'));
});

after(async () => {
  await context?.close().catch(() => undefined);
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('queue insight in the browser', () => {
  it(
    'a 64-CPU spawn: the pending page says no slot has 64 CPUs, its place in line and HTCondor’s reason',
    { timeout: 120_000 },
    async () => {
      context = await chromium.launchPersistentContext(dir, {
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        viewport: { width: 1366, height: 860 },
        timeout: 30_000,
      });
      context.setDefaultTimeout(30_000);
      const page = context.pages()[0] ?? (await context.newPage());
      const base = h.config.CONDORHUB_PUBLIC_URL;
      await page.goto(`${base}/hub/login`);
      await page.fill('input[name=username]', USER);
      await Promise.all([page.waitForURL('**/hub/home'), page.click('form[action="/hub/login"] button[type=submit]')]);
      await page.fill('#start-form input[name=cpus]', '64');
      await Promise.all([
        page.waitForURL(`**/hub/spawn-pending/${USER}`),
        page.click('#start-form button[type=submit]'),
      ]);
      const box = page.locator('#queue-insight:not([hidden])');
      // Refreshed every 5 s: the negotiator's reason appears after its first cycle.
      await box.locator('li', { hasText: 'HTCondor says: no match found' }).waitFor({ timeout: 60_000 });
      const text = (await box.textContent()) ?? '';
      assert.match(text, /No free slot has 64 CPUs; the largest free slot has 4\./);
      assert.match(text, /1st of 1 idle jobs of this hub\./);
      await page.screenshot({ path: path.join(SHOTS, '13-spawn-pending-queue-insight.png'), fullPage: true });
      await Promise.all([page.waitForURL('**/hub/home'), page.click('#pending button.danger')]);
    },
  );
});
