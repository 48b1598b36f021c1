import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import {
  type NodeStrike,
  type ServerState,
  decideRelease,
  decideStrike,
  evolve,
  foldNode,
  initialServerState,
  quarantineReason,
  react,
} from './index';

const settings = {
  idleTimeoutS: 300,
  portTimeoutS: 120,
  handshakeTimeoutS: 60,
  submitDeadlineS: 300,
  routeTimeoutS: 60,
  stopTimeoutS: 60,
  stopAttempts: 3,
};
const HOST = '127.0.0.2';

/** Runs a spawn's history through evolve + react as the spawner does; returns every strike it brings. */
function strikes(history: (spawnId: string) => NewEvent[], opts: { retryOf?: string } = {}): NodeStrike[] {
  const spawnId = randomUUID();
  const events: NewEvent[] = [
    newEvent('SpawnRequested', {
      spawnId,
      user: 'alice',
      serverName: '',
      options: {},
      requestedBy: 'alice',
      ...(opts.retryOf ? { retryOf: opts.retryOf, avoidHosts: ['127.0.0.9'] } : {}),
    }),
    newEvent('JobSubmitted', { spawnId, jobId: '1.0', submitHost: 'sim' }),
    newEvent('JobRunning', { spawnId, jobId: '1.0', host: HOST, slot: 'slot1_1' }),
    ...history(spawnId),
  ];
  let state: ServerState = initialServerState();
  const found: NodeStrike[] = [];
  const queue = [...events];
  for (let v = 1; queue.length; v++) {
    const e = queue.shift()!;
    const env = {
      eventId: randomUUID(),
      type: e.type,
      schemaVersion: 1,
      streamId: serverStreamId('alice', ''),
      streamVersion: v,
      globalPosition: String(v),
      transactionId: String(v),
      recordedAt: new Date(Date.UTC(2026, 11, 4, 12, 0, v)).toISOString(),
      data: e.data,
      metadata: {},
    } as EventEnvelope;
    state = evolve(state, env);
    const r = react(state, env, settings);
    if (r.strike) found.push(r.strike);
    queue.unshift(...r.append);
  }
  return found;
}

const timedOut = (spawnId: string) => newEvent('PortReportTimedOut', { spawnId, host: HOST, waitedS: 120 });
const launcher = (spawnId: string, stage: 'preflight' | 'exit', diagnosis: string) =>
  newEvent('LauncherReported', {
    spawnId,
    stage,
    diagnosis: diagnosis as never,
    message: 'm',
    exitCode: stage === 'exit' ? 1 : null,
    stderrTail: '',
  });

describe('node strikes: only evidence against the node', () => {
  const silent = 'the launcher never reported within 120 s of the job running';
  const hung = "the launcher's preflight hung on the node's file systems";
  const cases: [string, (s: string) => NewEvent[], { retryOf?: string }, string[]][] = [
    ['the launcher never reported before the port deadline', (s) => [timedOut(s)], {}, [silent]],
    ["the launcher's preflight hung", (s) => [launcher(s, 'preflight', 'node-unresponsive')], {}, [hung]],
    ['home over quota (the user’s)', (s) => [launcher(s, 'preflight', 'home-over-quota')], {}, []],
    ['home not writable (the user’s)', (s) => [launcher(s, 'preflight', 'home-not-writable')], {}, []],
    ['bad user config', (s) => [launcher(s, 'preflight', 'bad-user-config')], {}, []],
    [
      'a ~/.jupyter setting that breaks the connection',
      (s) => [launcher(s, 'preflight', 'user-jupyter-config')],
      {},
      [],
    ],
    ['module missing at exit', (s) => [launcher(s, 'exit', 'module-missing')], {}, []],
    ['the notebook exited', (s) => [launcher(s, 'exit', 'notebook-exited')], {}, []],
    [
      'a launcher report, then the port deadline before the failure is recorded',
      (s) => [launcher(s, 'exit', 'bad-user-config'), timedOut(s)],
      {},
      [],
    ],
    [
      'the deadline after the port came (a late timer)',
      (s) => [newEvent('PortReported', { spawnId: s, host: HOST, port: 41000 }), timedOut(s)],
      {},
      [],
    ],
    [
      'the automatic retry fails the same way: the user, not a second node',
      (s) => [timedOut(s)],
      { retryOf: randomUUID() },
      [],
    ],
    [
      'the automatic retry’s preflight hangs too',
      (s) => [launcher(s, 'preflight', 'node-unresponsive')],
      { retryOf: randomUUID() },
      [],
    ],
    ['held by condor', (s) => [newEvent('JobHeld', { spawnId: s, jobId: '1.0', holdReason: 'x', code: 3 })], {}, []],
  ];
  for (const [name, history, opts, expected] of cases) {
    it(name, () => {
      const found = strikes(history, opts);
      assert.deepEqual(
        found.map((x) => x.reason),
        expected,
      );
      for (const x of found) assert.deepEqual([x.host, x.user], [HOST, 'alice']);
    });
  }
});

describe('quarantine: several strikes from several users within the window', () => {
  const at = (min: number) => new Date(Date.UTC(2026, 11, 4, 12, min)).toISOString();
  const strike = (user: string | undefined, min: number) => ({
    type: 'NodeStrikeRecorded' as const,
    recordedAt: at(min),
    data: { host: HOST, spawnId: randomUUID(), reason: 'r', ...(user ? { user } : {}) },
  });
  const q = { quarantineStrikes: 2, quarantineWindowS: 1800, quarantineMinUsers: 2 };
  const now = new Date(at(40));
  const cases: [string, ReturnType<typeof strike>[], typeof q, boolean][] = [
    ['one strike', [strike('alice', 35)], q, false],
    ['one user, five strikes', [1, 2, 3, 4, 5].map((m) => strike('alice', 30 + m)), q, false],
    ['two users', [strike('alice', 20), strike('bob', 35)], q, true],
    ['two users, one of them outside the window', [strike('alice', 5), strike('bob', 35)], q, false],
    [
      'two strikes of one user and one of another, limit 3',
      [strike('a', 30), strike('a', 31), strike('b', 32)],
      { ...q, quarantineStrikes: 3 },
      true,
    ],
    [
      'one user when one user is enough (min users 1)',
      [strike('alice', 30), strike('alice', 31)],
      { ...q, quarantineMinUsers: 1 },
      true,
    ],
    ['strikes recorded before they named a user count apart', [strike(undefined, 30), strike(undefined, 31)], q, true],
    [
      'released in between',
      [
        strike('alice', 30),
        { type: 'NodeReleased', recordedAt: at(31), data: { host: HOST, by: 'ops' } } as never,
        strike('bob', 32),
      ],
      q,
      false,
    ],
    [
      'already quarantined',
      [
        strike('alice', 30),
        strike('bob', 31),
        { type: 'NodeQuarantined', recordedAt: at(31), data: {} } as never,
        strike('carol', 32),
      ],
      q,
      false,
    ],
  ];
  for (const [name, history, settingsOf, quarantined] of cases) {
    it(name, () => {
      const reason = quarantineReason(foldNode(history), now, settingsOf);
      assert.equal(Boolean(reason), quarantined, reason);
    });
  }
});

describe('decideStrike: the strike, and the quarantine it tips the node into', () => {
  const at = (min: number) => new Date(Date.UTC(2026, 11, 4, 12, min)).toISOString();
  const recorded = (user: string, min: number) => ({
    type: 'NodeStrikeRecorded' as const,
    recordedAt: at(min),
    data: { host: HOST, spawnId: randomUUID(), reason: 'r', user },
  });
  const q = { quarantineStrikes: 2, quarantineWindowS: 1800, quarantineMinUsers: 2 };
  const strike = (user: string) => ({ host: HOST, user, reason: 'hung', spawnId: randomUUID() });
  const cases: [string, ReturnType<typeof recorded>[], string, string[], number?][] = [
    ['a first strike is only recorded', [], 'alice', ['NodeStrikeRecorded']],
    [
      'a second user within the window quarantines',
      [recorded('alice', 30)],
      'bob',
      ['NodeStrikeRecorded', 'NodeQuarantined'],
      2,
    ],
    ['the same user again does not', [recorded('alice', 30)], 'alice', ['NodeStrikeRecorded']],
    ['an old strike outside the window does not count', [recorded('alice', 1)], 'bob', ['NodeStrikeRecorded']],
    [
      'a quarantined node is not quarantined twice',
      [recorded('alice', 30), recorded('bob', 31), { type: 'NodeQuarantined', recordedAt: at(31), data: {} } as never],
      'carol',
      ['NodeStrikeRecorded'],
    ],
    [
      'strikes before a release do not count',
      [recorded('alice', 30), { type: 'NodeReleased', recordedAt: at(31), data: { host: HOST, by: 'ops' } } as never],
      'bob',
      ['NodeStrikeRecorded'],
    ],
  ];
  for (const [name, node, user, types, strikes] of cases) {
    it(name, () => {
      const s = strike(user);
      const events = decideStrike(node, s, new Date(at(40)), q);
      assert.deepEqual(
        events.map((e) => e.type),
        types,
      );
      assert.deepEqual(events[0].data, s);
      if (strikes !== undefined) {
        const quarantined = events[1].data as any;
        assert.equal(quarantined.strikes, strikes);
        assert.equal(quarantined.host, HOST);
        assert.match(quarantined.reason, /2 spawns of 2 users failed on this node within 30 min/);
      }
    });
  }
});

describe('decideRelease', () => {
  const quarantined = { quarantined: true, strikes: [] };
  it('releases a quarantined node, naming who did', () => {
    assert.deepEqual(decideRelease(quarantined, { host: HOST, by: 'ops' }), {
      ok: true,
      events: [newEvent('NodeReleased', { host: HOST, by: 'ops' })],
    });
  });
  it('refuses a node in service', () => {
    assert.deepEqual(decideRelease({ quarantined: false, strikes: [] }, { host: HOST, by: 'ops' }), {
      ok: false,
      code: 'not-quarantined',
      reason: `${HOST} is not quarantined`,
    });
  });
});
