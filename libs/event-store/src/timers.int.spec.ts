import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { TimerScheduler, cancelScheduledMessage, createPool, readStream, scheduleMessage } from './index';

const root = path.resolve(__dirname, '../../..');

describe('durable timers (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('timers')));
  after(async () => t.drop());

  it('fires a timer armed by a process that died, exactly once, with two schedulers running', async () => {
    const spawnId = randomUUID();
    const stream = serverStreamId('alice', '');
    // Another process arms the timer and is gone before it is due.
    const script = `
      const { createPool, scheduleMessage } = require('@condorhub/event-store');
      (async () => {
        const pool = createPool(${JSON.stringify(t.db)});
        await scheduleMessage(pool, 'idle:${spawnId}', '${stream}',
          { type: 'IdleTimedOut', data: { spawnId: '${spawnId}', waitedS: 1 } }, new Date(Date.now() + 700));
        process.kill(process.pid, 'SIGKILL');
      })();`;
    const child = spawnSync(process.execPath, ['-r', path.join(root, 'tools/register.js'), '-e', script], {
      cwd: root,
      timeout: 20_000,
    });
    assert.equal(child.signal, 'SIGKILL', child.stderr?.toString());

    const a = new TimerScheduler(createPool(t.db), { maxSleepMs: 100 });
    const b = new TimerScheduler(createPool(t.db), { maxSleepMs: 100 });
    a.start();
    b.start();
    for (let i = 0; i < 50 && !(await readStream(t.pool, stream)).length; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([a.stop(), b.stop()]);
    const events = await readStream(t.pool, stream);
    assert.deepEqual(
      events.map((e) => e.type),
      ['IdleTimedOut'],
    );
  });

  it('does not fire a cancelled timer, and arming the same key twice arms it once', async () => {
    const spawnId = randomUUID();
    const stream = serverStreamId('bob', '');
    const ev = newEvent('IdleTimedOut', { spawnId, waitedS: 0 });
    assert.equal(await scheduleMessage(t.pool, `k:${spawnId}`, stream, ev, new Date(Date.now() + 300)), true);
    assert.equal(await scheduleMessage(t.pool, `k:${spawnId}`, stream, ev, new Date(Date.now() + 300)), false);
    assert.equal(await cancelScheduledMessage(t.pool, `k:${spawnId}`), true);
    const s = new TimerScheduler(t.pool, { maxSleepMs: 50 });
    s.start();
    await new Promise((r) => setTimeout(r, 600));
    await s.stop();
    assert.equal((await readStream(t.pool, stream)).length, 0);
  });

  it('refuses a timer whose event payload is invalid', async () => {
    await assert.rejects(
      scheduleMessage(
        t.pool,
        'bad',
        'server-x/',
        { type: 'IdleTimedOut', data: { spawnId: 'nope' } } as never,
        new Date(),
      ),
      /spawnId/,
    );
  });
});
