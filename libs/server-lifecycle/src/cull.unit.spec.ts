import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, type NewEvent, newEvent, serverStreamId } from '@condorhub/contracts';
import { type UserForCull, decideCull, decideCullUser, foldServer, humanDuration, stageMessage } from './index';

const spawnId = randomUUID();
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);

/** A server's events, each recorded at the given second after T0. */
function stream(events: [number, NewEvent][]): EventEnvelope[] {
  return events.map(([s, e], i) => ({
    eventId: randomUUID(),
    type: e.type,
    schemaVersion: 1,
    streamId: serverStreamId('alice', ''),
    streamVersion: i + 1,
    globalPosition: String(i + 1),
    transactionId: String(100 + i),
    recordedAt: at(s).toISOString(),
    data: e.data,
    metadata: {},
  })) as EventEnvelope[];
}

// Requested at 0 s, ready at 100 s.
const readyEvents: [number, NewEvent][] = [
  [0, newEvent('SpawnRequested', { spawnId, user: 'alice', serverName: '', options: {}, requestedBy: 'alice' })],
  [10, newEvent('JobSubmitted', { spawnId, jobId: '1.0', submitHost: 'schedd' })],
  [20, newEvent('JobRunning', { spawnId, jobId: '1.0', host: '127.0.0.2', slot: 'slot1' })],
  [30, newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 40000 })],
  [
    40,
    newEvent('NotebookResponded', { spawnId, url: 'http://127.0.0.2:40000/user/alice/', version: '5', status: 200 }),
  ],
  [50, newEvent('RouteRequested', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:40000' } as any)],
  [60, newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:40000' } as any)],
  [100, newEvent('ServerReady', { spawnId, url: '/user/alice/' } as any)],
];
const ready = foldServer(stream(readyEvents));
const stopping = foldServer(
  stream([...readyEvents, [200, newEvent('StopRequested', { spawnId, by: 'alice', reason: 'done' })]]),
);
const pending = foldServer(stream(readyEvents.slice(0, 3)));

describe('decideCull: which ready servers the culler stops, and why', () => {
  const table: {
    name: string;
    state: typeof ready;
    now: number;
    idleS: number;
    maxAgeS: number;
    activity?: number;
    want: string | { reason: 'idle' | 'max-age'; idleS?: number; ageS?: number };
  }[] = [
    { name: 'off: both limits 0', state: ready, now: 99_999, idleS: 0, maxAgeS: 0, want: 'active' },
    {
      name: 'idle past the limit, no activity: idle counted from ready',
      state: ready,
      now: 400,
      idleS: 300,
      maxAgeS: 0,
      want: { reason: 'idle', idleS: 300 },
    },
    { name: 'just under the idle limit', state: ready, now: 399, idleS: 300, maxAgeS: 0, want: 'active' },
    {
      name: 'recent activity keeps it',
      state: ready,
      now: 1000,
      idleS: 300,
      maxAgeS: 0,
      activity: 800,
      want: 'active',
    },
    {
      name: 'old activity: idle counted from it',
      state: ready,
      now: 1000,
      idleS: 300,
      maxAgeS: 0,
      activity: 500,
      want: { reason: 'idle', idleS: 500 },
    },
    {
      name: 'activity before ready does not make it idle sooner',
      state: ready,
      now: 350,
      idleS: 300,
      maxAgeS: 0,
      activity: 5,
      want: 'active',
    },
    {
      name: 'max age counted from SpawnRequested, busy or not',
      state: ready,
      now: 3600,
      idleS: 300,
      maxAgeS: 3600,
      activity: 3599,
      want: { reason: 'max-age', ageS: 3600 },
    },
    {
      name: 'max age wins when both apply',
      state: ready,
      now: 5000,
      idleS: 300,
      maxAgeS: 3600,
      want: { reason: 'max-age', ageS: 5000 },
    },
    { name: 'under max age', state: ready, now: 3599, idleS: 0, maxAgeS: 3600, want: 'active' },
    {
      name: 'a stopping server is not culled again',
      state: stopping,
      now: 99_999,
      idleS: 1,
      maxAgeS: 1,
      want: 'not-ready',
    },
    {
      name: 'a pending server is left to its deadlines',
      state: pending,
      now: 99_999,
      idleS: 1,
      maxAgeS: 1,
      want: 'not-ready',
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const d = decideCull(
        c.state,
        at(c.now),
        { idleS: c.idleS, maxAgeS: c.maxAgeS },
        c.activity === undefined ? null : at(c.activity),
      );
      if (typeof c.want === 'string') {
        assert.equal(d.ok, false);
        assert.equal(!d.ok && d.code, c.want);
        return;
      }
      assert.ok(d.ok, JSON.stringify(d));
      assert.deepEqual(
        d.events.map((e) => e.type),
        ['ServerCulled', 'StopRequested'],
      );
      assert.deepEqual(d.events[0].data, { spawnId, ...c.want });
      assert.equal((d.events[1].data as any).by, 'culler');
    });
  }

  it('the culled server folds to stopping with the reason; the timeline says why', () => {
    const d = decideCull(ready, at(1000), { idleS: 600, maxAgeS: 0 }, null);
    assert.ok(d.ok);
    const events = stream([...readyEvents, ...d.events.map((e) => [1000, e] as [number, NewEvent])]);
    const state = foldServer(events);
    assert.equal(state.phase, 'stopping');
    assert.deepEqual(state.culled && { ...state.culled, at: undefined }, {
      reason: 'idle',
      idleS: 900,
      ageS: undefined,
      at: undefined,
    });
    assert.equal(state.stopReason, 'idle for 15 min');
    assert.equal(stageMessage(events.at(-2)!), 'Stopped by the idle culler after 15 min without activity');
    assert.ok(state.stages.some((s) => s.message === 'Stopped by the idle culler after 15 min without activity'));
  });

  it('durations read as seconds, minutes or hours', () => {
    assert.deepEqual([2, 119, 120, 3599, 7200, 9000].map(humanDuration), [
      '2 s',
      '119 s',
      '2 min',
      '60 min',
      '2 h',
      '2.5 h',
    ]);
  });
});

describe('decideCullUser: which users the culler deletes', () => {
  const created = at(0);
  const base: UserForCull = { admin: false, activeServers: 0, createdAt: created, lastActivity: null };
  const table: {
    name: string;
    user: UserForCull;
    now: number;
    idleS: number;
    want: string;
  }[] = [
    {
      name: 'idle past the limit, never active: counted from creation',
      user: base,
      now: 3600,
      idleS: 3600,
      want: 'cull',
    },
    { name: 'created recently', user: base, now: 3599, idleS: 3600, want: 'recent' },
    { name: 'an admin is never deleted', user: { ...base, admin: true }, now: 99_999, idleS: 3600, want: 'admin' },
    {
      name: 'a user with an active server is kept',
      user: { ...base, activeServers: 1 },
      now: 99_999,
      idleS: 3600,
      want: 'active-server',
    },
    {
      name: 'recent activity keeps the user',
      user: { ...base, lastActivity: at(90_000) },
      now: 92_000,
      idleS: 3600,
      want: 'recent',
    },
    {
      name: 'old activity: idle counted from it',
      user: { ...base, lastActivity: at(1000) },
      now: 4600,
      idleS: 3600,
      want: 'cull',
    },
    { name: 'off', user: base, now: 99_999, idleS: 0, want: 'off' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const d = decideCullUser(c.user, at(c.now), c.idleS);
      assert.equal(d.cull ? 'cull' : d.why, c.want);
    });
  }
});
