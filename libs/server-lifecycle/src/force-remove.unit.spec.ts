import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ServerState, decideForceRemove, initialServerState } from './index';

const spawnId = '11111111-2222-3333-4444-555555555555';
const at = (phase: ServerState['phase'], jobId?: string): ServerState => ({
  ...initialServerState(),
  spawnId,
  phase,
  ...(jobId ? { jobId } : {}),
});

describe('decideForceRemove: the entry ends now, the job is still removed', () => {
  const cases: [string, ServerState, string[] | string][] = [
    ['never started', initialServerState(), 'not-running'],
    ['stopped', at('stopped', '1.0'), 'not-running'],
    ['stuck stopping with a job', at('stopping', '1.0'), ['StopRequested', 'JobRemovalRequested', 'ServerStopped']],
    ['ready with a job', at('ready', '1.0'), ['StopRequested', 'JobRemovalRequested', 'ServerStopped']],
    ['requested, nothing submitted', at('requested'), ['StopRequested', 'ServerStopped']],
  ];
  for (const [name, state, expected] of cases) {
    it(name, () => {
      const d = decideForceRemove(state, 'operator:ops');
      if (typeof expected === 'string')
        return assert.deepEqual(d, { ok: false, code: expected, reason: 'not running' });
      assert.ok(d.ok);
      assert.deepEqual(
        d.events.map((e) => e.type),
        expected,
      );
      for (const e of d.events) assert.equal((e.data as any).spawnId, spawnId);
      assert.equal((d.events.at(-1)!.data as any).reason, 'force-removed by operator:ops');
      if (state.jobId) assert.equal((d.events[1].data as any).jobId, state.jobId);
    });
  }
});
