import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideForceRemove } from './force-remove';
import { initialServerState } from './server-state';

const spawnId = '7a0c3f5e-1111-4222-8333-944455556666';

describe('decideForceRemove', () => {
  it('ends a stopping server with a job: stop, job removal, stopped, naming who', () => {
    const d = decideForceRemove({ ...initialServerState(), spawnId, phase: 'stopping', jobId: '12.0' }, 'admin:root');
    assert.equal(d.removed, true);
    if (!d.removed) return;
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['StopRequested', 'JobRemovalRequested', 'ServerStopped'],
    );
    assert.deepEqual(d.events[0].data, { spawnId, by: 'admin:root', reason: 'force-removed by an operator' });
    assert.deepEqual(d.events[2].data, { spawnId, reason: 'force-removed by admin:root' });
    assert.equal(d.summary, 'removed (was stopping, job 12.0 is being removed)');
  });

  it('a server without a job yet needs no job removal', () => {
    const d = decideForceRemove({ ...initialServerState(), spawnId, phase: 'requested' }, 'operator:me');
    assert.ok(d.removed);
    if (d.removed)
      assert.deepEqual(
        d.events.map((e) => e.type),
        ['StopRequested', 'ServerStopped'],
      );
  });

  it('a server that is not running is left alone', () => {
    assert.deepEqual(decideForceRemove(initialServerState(), 'admin:root'), { removed: false, why: 'not running' });
    assert.deepEqual(decideForceRemove({ ...initialServerState(), spawnId, phase: 'stopped' }, 'admin:root'), {
      removed: false,
      why: 'not running',
    });
  });
});
