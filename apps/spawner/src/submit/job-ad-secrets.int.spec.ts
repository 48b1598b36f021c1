// Every pool user may read any job's ad (`condor_q -l`). A spawn on condor-sim runs to a live
// notebook (the launcher traded its one-time credential for the API token), and then neither
// that token nor any of the hub's own secrets is anywhere in its ad, even with a site template
// that copies the submitter's environment into the job (`getenv = true`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { DEFAULT_SUBMIT_TEMPLATE } from '@condorhub/condor';
import { launcherStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { sendCommand } from '@condorhub/messaging';
import { verifyToken } from '@condorhub/tokens';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootPipeline } from '../../../all-in-one/src/testing/boot-pipeline';

const USER = 'chadsecret';
const OIDC_SECRET = 'oidc-client-secret-for-tests-0123456789';

/** The environment of the user's running notebook (we run as root, as the sim does). */
function notebookEnvironment(user: string): Record<string, string> | undefined {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let raw: string;
    try {
      raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const env = Object.fromEntries(
      raw
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    if (env.JUPYTERHUB_USER === user && env.JUPYTERHUB_API_TOKEN) return env;
  }
  return undefined;
}

describe('the job ad holds no secret (condor-sim, condor_q -l)', () => {
  let h: TestCondorhub;
  const saved = process.env.CONDORHUB_OIDC_CLIENT_SECRET;
  before(async () => {
    ensureUser(USER);
    // A secret the services' environment holds but their configuration does not parse.
    process.env.CONDORHUB_OIDC_CLIENT_SECRET = OIDC_SECRET;
    h = await createTestCondorhub({
      label: 'adsecret',
      env: {
        CONDORHUB_PENDING_POLL_S: '0.3',
        // A site template that hands the submitter's whole environment to the job.
        CONDORHUB_SUBMIT_TEMPLATE: DEFAULT_SUBMIT_TEMPLATE.replace(
          'universe = vanilla',
          'universe = vanilla\ngetenv = true',
        ),
      },
      boot: (config) => bootPipeline(config),
    });
  });
  after(async () => {
    if (saved === undefined) delete process.env.CONDORHUB_OIDC_CLIENT_SECRET;
    else process.env.CONDORHUB_OIDC_CLIENT_SECRET = saved;
    await h?.close();
  });

  it('a running spawn: its notebook has the API token, its ad has neither it nor any hub secret', async () => {
    const reply = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'start', {
      user: USER,
      serverName: '',
      by: USER,
    });
    assert.equal(reply.accepted, true, JSON.stringify(reply));
    await h.waitForEvent(USER, '', 'RouteRequested', 60_000);
    const events = await h.events(USER);
    const { jobId } = events.find((e) => e.type === 'JobRunning')!.data as { jobId: string };
    const spawnId = (events[0].data as { spawnId: string }).spawnId;

    // The launcher exchanged its credential once, and gave the token to the notebook.
    const launcher = (await readStream(h.db.pool, launcherStreamId(spawnId))).map((e) => e.type);
    assert.deepEqual(launcher, ['LauncherBootstrapIssued', 'ApiTokenIssued']);
    const nbEnv = notebookEnvironment(USER);
    assert.ok(nbEnv, 'the notebook runs with JUPYTERHUB_API_TOKEN');
    const token = nbEnv.JUPYTERHUB_API_TOKEN;
    assert.equal((await verifyToken(h.db.pool, token))?.spawnId, spawnId, 'a live server token of this spawn');
    assert.equal(nbEnv.CONDORHUB_LAUNCHER_BOOTSTRAP, undefined);

    // What any pool user sees.
    const q = spawnSync(`${h.sim.binDir}/condor_q`, ['-l', jobId], {
      env: { ...process.env, ...h.sim.env },
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(q.status, 0, q.stderr);
    const ad = q.stdout;
    assert.match(ad, /^Environment = /m, 'the ad shows the job environment');
    assert.match(ad, new RegExp(`CondorhubSpawnId = "${spawnId}"`));
    for (const [what, secret] of [
      ['the API token', token],
      ['the admin token', h.config.CONDORHUB_ADMIN_TOKEN!],
      ['the cookie secret', h.config.CONDORHUB_COOKIE_SECRET!],
      ['the database URL', h.config.CONDORHUB_DATABASE_URL],
      ['the OIDC client secret', OIDC_SECRET],
    ]) {
      assert.ok(!ad.includes(secret), `${what} is in the job ad`);
    }
    assert.doesNotMatch(ad, /JUPYTERHUB_API_TOKEN|JPY_API_TOKEN|CONDORHUB_(?!LAUNCHER_BOOTSTRAP)[A-Z_]+=/);

    // The credential the ad does show is spent: a pool user who copies it gets nothing.
    const bootstrap = /CONDORHUB_LAUNCHER_BOOTSTRAP=([0-9a-f.-]+)/.exec(ad)?.[1];
    assert.ok(bootstrap, 'the launcher credential is in the ad');
    const stolen = await fetch(
      `http://127.0.0.1:${h.config.CONDORHUB_PORT_REGISTRY_PORT}/hub/api/condorhub/launcher/api-token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bootstrap, launcherKey: 'ab'.repeat(32) }),
        signal: AbortSignal.timeout(20_000),
      },
    );
    // From the hub's host, not the job's: refused before it could count as a second use.
    assert.equal(stolen.status, 403, await stolen.text());
    assert.deepEqual(
      (await readStream(h.db.pool, launcherStreamId(spawnId))).map((e) => e.type),
      launcher,
    );

    const stop = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'stop', {
      user: USER,
      serverName: '',
      by: USER,
      reason: 'test',
    });
    assert.equal(stop.accepted, true);
    await h.waitForEvent(USER, '', 'ServerStopped', 30_000);
    assert.equal(await verifyToken(h.db.pool, token), undefined, 'the token dies with the spawn');
  });
});
