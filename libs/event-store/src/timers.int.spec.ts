import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import {
  TIMER_MAX_ATTEMPTS,
  TimerScheduler,
  cancelScheduledMessage,
  createPool,
  fireDueMessages,
  readStream,
  scheduleMessage,
} from './index';

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

  it('fires the good timers when a poison row is due among them, and sets the poison aside with its error', async () => {
    const stream = serverStreamId('poison', '');
    const good = [randomUUID(), randomUUID(), randomUUID()];
    for (const spawnId of good)
      await scheduleMessage(
        t.pool,
        `good:${spawnId}`,
        stream,
        newEvent('IdleTimedOut', { spawnId, waitedS: 1 }),
        new Date(),
      );
    // Rows no scheduleMessage would write (an older payload shape, a damaged row), due first.
    await t.pool.query(
      `INSERT INTO scheduled_messages (timer_key, stream_id, type, data, due_at) VALUES
         ('poison:payload', $1, 'IdleTimedOut', '{"spawnId": "not-a-uuid"}', now() - interval '1 minute'),
         ('poison:stream', $2, 'IdleTimedOut', $3, now() - interval '1 minute')`,
      [stream, 'x'.repeat(400), JSON.stringify({ spawnId: randomUUID(), waitedS: 1 })],
    );
    const failures: string[] = [];
    const s = new TimerScheduler(t.pool, {
      maxSleepMs: 50,
      onTimerFailure: (f) => failures.push(`${f.timerKey} ${f.attempts} ${f.givenUp}`),
    });
    s.start();
    for (let i = 0; i < 50 && (await readStream(t.pool, stream)).length < good.length; i++)
      await new Promise((r) => setTimeout(r, 100));
    await s.stop();

    const fired = await readStream(t.pool, stream);
    assert.deepEqual(fired.map((e) => (e.data as { spawnId: string }).spawnId).sort(), [...good].sort());
    const { rows } = await t.pool.query(
      `SELECT timer_key, attempts, fired_at IS NOT NULL AS fired, failed_at IS NOT NULL AS set_aside,
              due_at > now() AS put_off, last_error FROM scheduled_messages WHERE timer_key LIKE 'poison:%' ORDER BY timer_key`,
    );
    // A payload its contract refuses is set aside at once; another failure is put off and retried.
    assert.deepEqual(
      rows.map((r) => [r.timer_key, r.attempts, r.fired, r.set_aside]),
      [
        ['poison:payload', 1, false, true],
        ['poison:stream', 1, false, false],
      ],
    );
    assert.match(rows[0].last_error, /spawnId/);
    assert.match(rows[1].last_error, /invalid stream id/);
    assert.equal(rows[1].put_off, true);
    assert.deepEqual(failures.sort(), ['poison:payload 1 true', 'poison:stream 1 false']);
  });

  it('gives a failing timer a bounded number of tries, then sets it aside', async () => {
    await t.pool.query(
      `INSERT INTO scheduled_messages (timer_key, stream_id, type, data, due_at) VALUES ('poison:retry', $1, 'IdleTimedOut', $2, now())`,
      ['y'.repeat(400), JSON.stringify({ spawnId: randomUUID(), waitedS: 1 })],
    );
    const seen: boolean[] = [];
    for (let i = 0; i < TIMER_MAX_ATTEMPTS + 2; i++) {
      // Due again at once (instead of after its backoff), to count the tries.
      await t.pool.query(`UPDATE scheduled_messages SET due_at = now() WHERE timer_key = 'poison:retry'`);
      await fireDueMessages(t.pool, 100, (f) => f.timerKey === 'poison:retry' && seen.push(f.givenUp));
    }
    assert.deepEqual(seen, [...Array(TIMER_MAX_ATTEMPTS - 1).fill(false), true]);
    const { rows } = await t.pool.query(
      `SELECT attempts, failed_at FROM scheduled_messages WHERE timer_key = 'poison:retry'`,
    );
    assert.equal(rows[0].attempts, TIMER_MAX_ATTEMPTS);
    assert.ok(rows[0].failed_at);
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
