import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import { newEvent } from '@condorhub/contracts';
import { ProgressTracker, SSE_KEEPALIVE, formatSseEvent } from './progress-events';

let version = 0;
const envelope = (e: NewEvent, at = new Date()): EventEnvelope =>
  ({
    eventId: randomUUID(),
    type: e.type,
    schemaVersion: 1,
    streamId: 'server-alice/',
    streamVersion: ++version,
    globalPosition: String(version),
    transactionId: '1',
    recordedAt: at.toISOString(),
    data: e.data,
    metadata: {},
  }) as EventEnvelope;

const requested = (spawnId: string, retryOf?: string) =>
  newEvent('SpawnRequested', {
    spawnId,
    user: 'alice',
    serverName: '',
    options: {},
    requestedBy: 'alice',
    ...(retryOf ? { retryOf } : {}),
  });

describe('SSE formatting', () => {
  it('writes JupyterHub’s `data: <json>` and a blank line', () => {
    assert.equal(
      formatSseEvent({ progress: 5, message: 'Server requested' }),
      'data: {"progress":5,"message":"Server requested"}\n\n',
    );
    // Newlines inside a message stay escaped: one event is always one data line.
    assert.equal(formatSseEvent({ progress: 1, message: 'a\nb' }).split('\n').length, 3);
    assert.match(SSE_KEEPALIVE, /^:.*\n\n$/);
  });
});

describe('progress tracker', () => {
  it('maps stages to progress and ends with ready and the url', () => {
    const s = randomUUID();
    const t = new ProgressTracker(s, 'alice', '');
    const out = [
      requested(s),
      newEvent('JobSubmitted', { spawnId: s, jobId: '1.0', submitHost: 'x' }),
      newEvent('JobRunning', { spawnId: s, jobId: '1.0', host: 'h', slot: 'slot1@h' }),
      newEvent('RouteRequested', { spawnId: s, routeSpec: '/user/alice/', target: 'http://h:1', owner: 'alice' }),
      newEvent('ServerReady', { spawnId: s, url: '/user/alice/' }),
      newEvent('JobSubmitted', { spawnId: s, jobId: '1.0', submitHost: 'x' }),
    ].flatMap((e) => t.feed(envelope(e)));
    assert.deepEqual(
      out.map((e) => [e.progress, e.message]),
      [
        [5, 'Server requested'],
        [15, 'Submitted as job 1.0'],
        [50, 'Running on h (slot1@h)'],
        [100, 'Server ready at /user/alice/'],
      ],
    );
    assert.equal(out.at(-1)!.ready, true);
    assert.equal(out.at(-1)!.url, '/user/alice/');
    assert.ok(t.done);
  });

  it('ignores other spawns and ends with failed and the user message', () => {
    const s = randomUUID();
    const t = new ProgressTracker(s, 'alice', '');
    const out = [
      newEvent('JobSubmitted', { spawnId: randomUUID(), jobId: '9.0', submitHost: 'x' }),
      requested(s),
      newEvent('JobHeld', { spawnId: s, jobId: '1.0', holdReason: 'quota', code: 3 }),
      newEvent('SpawnFailed', { spawnId: s, stage: 'queue', diagnosis: 'held-by-condor', userMessage: 'Held: quota.' }),
    ].flatMap((e) => t.feed(envelope(e)));
    assert.deepEqual(out[1], { progress: 5, message: 'Job held by HTCondor: quota' });
    assert.equal(out.at(-1)!.failed, true);
    assert.equal(out.at(-1)!.message, 'Spawn failed: Held: quota.');
    assert.equal(out.length, 3);
  });

  it('a stop during the spawn ends the stream as cancelled', () => {
    const s = randomUUID();
    const t = new ProgressTracker(s, 'alice', '');
    const out = [requested(s), newEvent('StopRequested', { spawnId: s, by: 'alice', reason: 'user' })].flatMap((e) =>
      t.feed(envelope(e)),
    );
    assert.deepEqual(out.at(-1), { progress: 100, failed: true, message: 'Spawn cancelled' });
  });

  it('follows the automatic retry after a node failure, and gives up if it never comes', () => {
    const s = randomUUID();
    const retry = randomUUID();
    const failed = newEvent('SpawnFailed', {
      spawnId: s,
      stage: 'port',
      diagnosis: 'node-unresponsive',
      userMessage: 'The node did not answer.',
    });
    const t = new ProgressTracker(s, 'alice', '');
    const out = [
      requested(s),
      failed,
      newEvent('ServerStopped', { spawnId: s, reason: 'spawn failed' }),
      requested(retry, s),
    ].flatMap((e) => t.feed(envelope(e)));
    assert.ok(!t.done);
    assert.ok(!out.some((e) => e.failed));
    assert.equal(out.at(-1)!.message, 'Server requested again (retrying on another node)');
    assert.equal(t.feed(envelope(newEvent('ServerReady', { spawnId: retry, url: '/user/alice/' })))[0].ready, true);

    const u = new ProgressTracker(s, 'alice', '');
    [requested(s), failed, newEvent('ServerStopped', { spawnId: s, reason: 'spawn failed' })].forEach((e) =>
      u.feed(envelope(e)),
    );
    assert.ok(u.awaitingRetrySince !== undefined);
    const final = u.giveUp();
    assert.equal(final[0].failed, true);
    assert.equal(final[0].message, 'Spawn failed: The node did not answer.');
  });
});
