import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type PortReportWaits, decidePortReport } from './port-report';
import { type ServerState, initialServerState } from './server-state';

const spawnId = '00000000-0000-4000-8000-000000000001';
const at = (over: Partial<ServerState>): ServerState => ({ ...initialServerState(), spawnId, ...over });
const report = { spawnId, port: 8888 };
const none: PortReportWaits = { newRun: false, host: false };
const both: PortReportWaits = { newRun: true, host: true };
const reported = { host: 'n1', port: 7777, run: 1 };

describe('port report acceptance', () => {
  const table: [string, ServerState, PortReportWaits, unknown][] = [
    ['running, host known: accepted', at({ phase: 'starting', host: 'n1', runs: 1 }), none, 'accept n1'],
    [
      'queued with a host (JobRunning not yet seen as such): accepted',
      at({ phase: 'queued', host: 'n1' }),
      none,
      'accept n1',
    ],
    ['requested, host unknown: wait for the poller', at({ phase: 'requested' }), none, 'wait host'],
    ['host still unknown after the wait: retry later', at({ phase: 'submitted' }), both, 'refuse 503'],
    ['another spawn now', at({ phase: 'starting', host: 'n1', spawnId: 'other' }), none, 'refuse 409'],
    ['no spawn at all', initialServerState(), none, 'refuse 409'],
    ['stopping', at({ phase: 'stopping', host: 'n1' }), none, 'refuse 409'],
    ['stopped', at({ phase: 'stopped', host: 'n1' }), none, 'refuse 409'],
    ['ready without a report on record', at({ phase: 'ready', host: 'n1' }), none, 'refuse 409'],
    [
      'the same port on the same run: a repeat',
      at({ phase: 'ready', host: 'n1', runs: 1, reported: { ...reported, port: 8888 } }),
      none,
      'repeat',
    ],
    [
      'a new port, same run: wait for a new run',
      at({ phase: 'ready', host: 'n1', runs: 1, reported }),
      none,
      'wait newRun',
    ],
    [
      'a new port, same run, waited: the launcher restarted there',
      at({ phase: 'ready', host: 'n1', runs: 1, reported }),
      { newRun: true, host: false },
      'accept n1',
    ],
    ['a new run elsewhere: accepted there', at({ phase: 'routing', host: 'n2', runs: 2, reported }), none, 'accept n2'],
    [
      'the same port on a new run: accepted, not a repeat',
      at({ phase: 'port-reported', host: 'n2', runs: 2, reported: { ...reported, port: 8888 } }),
      none,
      'accept n2',
    ],
  ];
  for (const [name, state, waited, expected] of table) {
    it(name, () => {
      const v = decidePortReport(state, report, waited);
      const got =
        v.kind === 'accept'
          ? `accept ${(v.events[0].data as { host: string }).host}`
          : v.kind === 'wait'
            ? `wait ${v.for}`
            : v.kind === 'refuse'
              ? `refuse ${v.status}`
              : v.kind;
      assert.equal(got, expected);
    });
  }

  it('records the spawn, the host and the port', () => {
    const v = decidePortReport(at({ phase: 'starting', host: 'n1' }), report, none);
    assert.deepEqual(v, {
      kind: 'accept',
      events: [{ type: 'PortReported', data: { spawnId, host: 'n1', port: 8888 } }],
    });
  });

  it('says why it refuses', () => {
    assert.deepEqual(decidePortReport(at({ phase: 'stopping' }), report, none), {
      kind: 'refuse',
      status: 409,
      message: 'server is not waiting for a port (it is stopping)',
    });
  });
});
