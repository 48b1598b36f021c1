import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checkReadiness, registerReadinessCheck } from './readiness';

it('readiness names each check; one failing or hanging past the timeout makes it not ready', async () => {
  const undo = [registerReadinessCheck('store', async () => 'fine'), registerReadinessCheck('nats', () => undefined)];
  assert.deepEqual(await checkReadiness(100), {
    status: 'ready',
    checks: { store: { ok: true, detail: 'fine' }, nats: { ok: true } },
  });
  const failing = registerReadinessCheck('consumer spawner', () => {
    throw new Error('resuming after: timeout');
  });
  const hanging = registerReadinessCheck('slow', () => new Promise<void>(() => undefined));
  const report = await checkReadiness(100);
  assert.equal(report.status, 'not ready');
  assert.deepEqual(report.checks['consumer spawner'], { ok: false, detail: 'resuming after: timeout' });
  assert.deepEqual(report.checks.slow, { ok: false, detail: 'no answer within 100 ms' });
  assert.equal(report.checks.store.ok, true);
  failing();
  hanging();
  assert.equal((await checkReadiness(100)).status, 'ready', 'a removed check no longer counts');
  for (const u of undo) u();
});
