import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ServerState, decideStopTimedOut, initialServerState, stopDeadline } from './index';

const spawnId = '11111111-2222-3333-4444-555555555555';
const settings = { stopTimeoutS: 60, stopAttempts: 3 };
const stopping: ServerState = { ...initialServerState(), spawnId, phase: 'stopping', jobId: '7.0' };

describe('stop timeout: StopTimedOut drives the removal again, then ends the entry', () => {
  it('arms attempt n with the time waited so far', () => {
    assert.deepEqual(stopDeadline(spawnId, 2, settings), {
      key: `stop:${spawnId}:2`,
      dueInS: 60,
      event: { type: 'StopTimedOut', data: { spawnId, waitedS: 120, attempt: 2 } },
    });
  });

  const cases: [string, ServerState, number, string[], string[]][] = [
    [
      'first deadline: the job removal again, and the next deadline',
      stopping,
      1,
      ['JobRemovalRequested'],
      [`stop:${spawnId}:2`],
    ],
    [
      'a route the proxy added is removed again too',
      { ...stopping, routeRequested: true, routeAdded: true, routeSpec: '/user/alice/' },
      2,
      ['RouteRemovalRequested', 'JobRemovalRequested'],
      [`stop:${spawnId}:3`],
    ],
    [
      'a route never added is left alone on a deadline',
      { ...stopping, routeRequested: true, routeAdded: false, routeSpec: '/user/alice/' },
      1,
      ['JobRemovalRequested'],
      [`stop:${spawnId}:2`],
    ],
    ['no job: stopped at once', { ...stopping, jobId: undefined }, 1, ['ServerStopped'], [`stop:${spawnId}:2`]],
    ['the last deadline: stopped whatever the removal did', stopping, 3, ['ServerStopped'], []],
    ['no longer stopping: nothing', { ...stopping, phase: 'stopped' }, 1, [], []],
  ];
  for (const [name, state, attempt, types, armed] of cases) {
    it(name, () => {
      const out = decideStopTimedOut(state, { attempt, waitedS: 60 * attempt }, settings);
      assert.deepEqual(
        out.append.map((e) => e.type),
        types,
      );
      assert.deepEqual(
        out.arm.map((t) => t.key),
        armed,
      );
      if (attempt === settings.stopAttempts && types.length) {
        assert.match((out.append[0].data as any).reason, /stopped after 180 s without the removal finishing/);
      }
    });
  }
});
