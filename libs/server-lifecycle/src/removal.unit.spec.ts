import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newEvent } from '@condorhub/contracts';
import { type ServerState, decideRemovalOutcome, initialServerState, removalBackoffS } from './index';

const spawnId = '11111111-2222-3333-4444-555555555555';
const jobId = '7.0';
const stopping: ServerState = { ...initialServerState(), spawnId, phase: 'stopping', jobId };
const failed = (n: number, job = jobId) =>
  Array.from({ length: n }, (_, i) =>
    newEvent('JobRemovalFailed', { spawnId, jobId: job, error: 'x', attempt: i + 1 }),
  );
const settings = { removalAttempts: 3 };

describe('decideRemovalOutcome: the removal retry policy', () => {
  const cases: [string, ServerState, ReturnType<typeof failed>, boolean, string[], string | undefined, string?][] = [
    ['removed while stopping: stopped', stopping, [], true, ['ServerStopped'], undefined, 'stopped'],
    [
      'removed after a failed spawn: stopped as failed',
      { ...stopping, failure: { stage: 'queue', diagnosis: 'held-by-condor', userMessage: 'm' } as never },
      [],
      true,
      ['ServerStopped'],
      undefined,
      'spawn failed',
    ],
    [
      'first failure: recorded, retried, and the stop ends anyway',
      stopping,
      [],
      false,
      ['JobRemovalFailed', 'ServerStopped'],
      `rm:${spawnId}:${jobId}:1`,
      'stopped; job removal is retried in the background',
    ],
    [
      'second failure: retried again',
      { ...stopping, phase: 'stopped' },
      failed(1),
      false,
      ['JobRemovalFailed'],
      `rm:${spawnId}:${jobId}:2`,
    ],
    [
      'last attempt failed: no more retries',
      { ...stopping, phase: 'stopped' },
      failed(2),
      false,
      ['JobRemovalFailed'],
      undefined,
    ],
    [
      "another job's failures do not count",
      { ...stopping, phase: 'stopped' },
      failed(2, '8.0'),
      false,
      ['JobRemovalFailed'],
      `rm:${spawnId}:${jobId}:1`,
    ],
    ['removed, server already stopped: nothing to record', { ...stopping, phase: 'stopped' }, [], true, [], undefined],
    [
      "an old spawn's job: the current spawn is not stopped",
      { ...stopping, spawnId: '99999999-2222-3333-4444-555555555555' },
      [],
      true,
      [],
      undefined,
    ],
  ];
  for (const [name, state, stream, ok, types, retryKey, reason] of cases) {
    it(name, () => {
      const result = ok ? { ok: true as const, outcome: 'removed' } : { ok: false as const, error: 'schedd down' };
      const out = decideRemovalOutcome(state, stream, { spawnId, jobId }, result, settings);
      assert.deepEqual(
        out.events.map((e) => e.type),
        types,
      );
      assert.equal(out.retry?.key, retryKey);
      if (out.retry) {
        assert.deepEqual(out.retry.event, newEvent('JobRemovalRequested', { spawnId, jobId }));
        const attempt = stream.filter((e) => (e.data as any).jobId === jobId).length + 1;
        assert.equal(out.retry.dueInS, removalBackoffS(attempt));
        assert.equal((out.events[0].data as any).attempt, attempt);
      }
      if (reason) assert.equal((out.events.at(-1)!.data as any).reason, reason);
    });
  }

  it('backs off from 10 s, doubling, to at most 5 min', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 10].map(removalBackoffS), [10, 20, 40, 80, 160, 300, 300]);
  });
});
