import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CondorJobState } from '@condorhub/condor';
import { jobTransition } from './job-transition';

const SPAWN = '0b7a7c3e-3f0e-4c53-9a59-8f0e6d1c2a11';
const running = (numJobStarts?: number): CondorJobState =>
  ({
    jobId: '12.0',
    clusterId: 12,
    procId: 0,
    statusCode: 2,
    status: 'running',
    host: '127.0.0.3',
    slot: 'slot1_1',
    numJobStarts,
  }) as CondorJobState;

describe('jobTransition', () => {
  it('says JobRunning once for one run', () => {
    assert.equal(jobTransition(SPAWN, running(1), 'idle')?.event.type, 'JobRunning');
    assert.equal(jobTransition(SPAWN, running(1), 'running', 1), undefined);
    assert.equal(
      jobTransition(SPAWN, running(1), 'running', undefined),
      undefined,
      'a restarted poller repeats nothing',
    );
  });

  it('says JobRunning again for a run that started between two polls (evicted, matched again)', () => {
    const t = jobTransition(SPAWN, running(2), 'running', 1);
    assert.equal(t?.event.type, 'JobRunning');
    assert.equal(t?.mark, 'running');
  });

  it('says nothing for a running job without a host', () => {
    assert.equal(jobTransition(SPAWN, { ...running(2), host: undefined }, 'running', 1), undefined);
  });
});
