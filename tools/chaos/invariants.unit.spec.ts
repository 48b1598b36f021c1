import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { EventEnvelope } from '@condorhub/contracts';
import { type ChaosHistory, MUST_BE_ZERO, checkInvariants } from './invariants';
import { chaosPlan } from './chaos-plan';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
let position = 0;

/** A server stream's events, one second apart from `startS` (seconds after T0). */
function stream(user: string, startS: number, steps: [string, Record<string, unknown>][]): EventEnvelope[] {
  const streamId = `server-${user}/`;
  return steps.map(([type, data], i) => {
    position++;
    return {
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      streamId,
      streamVersion: i + 1,
      globalPosition: String(position),
      transactionId: String(position),
      recordedAt: new Date(T0 + (startS + i) * 1000).toISOString(),
      data,
      metadata: {},
    } as EventEnvelope;
  });
}

const requested = (spawnId: string, user: string) =>
  ['SpawnRequested', { spawnId, user, serverName: '', options: {}, requestedBy: user }] as [
    string,
    Record<string, unknown>,
  ];
const submitted = (spawnId: string, jobId: string) =>
  ['JobSubmitted', { spawnId, jobId, submitHost: 'sim' }] as [string, Record<string, unknown>];
const toReady = (spawnId: string, user: string, jobId: string): [string, Record<string, unknown>][] => [
  requested(spawnId, user),
  submitted(spawnId, jobId),
  ['JobRunning', { spawnId, jobId, host: '127.0.0.2', slot: 'slot1_1' }],
  ['PortReported', { spawnId, host: '127.0.0.2', port: 40000 }],
  ['NotebookResponded', { spawnId, url: `http://127.0.0.2:40000/user/${user}/`, version: 'x', status: 200 }],
  ['RouteRequested', { spawnId, routeSpec: `/user/${user}/`, target: 'http://127.0.0.2:40000', owner: user }],
  ['RouteAdded', { spawnId, routeSpec: `/user/${user}/`, target: 'http://127.0.0.2:40000' }],
  ['ServerReady', { spawnId, url: `/user/${user}/` }],
];
const stopped = (spawnId: string, jobId: string): [string, Record<string, unknown>][] => [
  ['StopRequested', { spawnId, by: 'alice', reason: 'user' }],
  ['JobRemovalRequested', { spawnId, jobId }],
  ['ServerStopped', { spawnId, reason: 'user' }],
];

function history(over: Partial<ChaosHistory>): ChaosHistory {
  return {
    now: new Date(T0 + 600_000).toISOString(),
    events: [],
    asked: new Map(),
    queue: [],
    deadLetters: [],
    probes: [],
    deadlines: { requested: 60, submitted: 90, starting: 90, 'port-reported': 60, routing: 30, stopping: 60 },
    ...over,
  };
}

describe('chaos invariant checker', () => {
  it('passes a clean history: one spawn stopped, one left running with its job queued', () => {
    const a = randomUUID();
    const b = randomUUID();
    const v = checkInvariants(
      history({
        events: [
          ...stream('alice', 0, [...toReady(a, 'alice', '1.0'), ...stopped(a, '1.0')]),
          ...stream('bob', 0, toReady(b, 'bob', '2.0')),
        ],
        asked: new Map([
          ['server-alice/', 'stop'],
          ['server-bob/', 'start'],
        ]),
        queue: [{ jobId: '2.0', status: 'running', owner: 'bob', spawnId: b }],
        probes: [{ user: 'bob', requests: 10, ownAnswers: 8, foreign: [], hubCookieSeen: [] }],
      }),
    );
    assert.deepEqual(v.failures, []);
    for (const name of MUST_BE_ZERO) assert.equal(v.figures[name], 0, name);
    assert.equal(v.figures.spawns, 2);
    assert.equal(v.figures.probe_requests, 10);
  });

  it('counts a submitted spawn that never reached ServerReady or ServerStopped as lost, and its stuck phase as past deadline', () => {
    const a = randomUUID();
    const v = checkInvariants(
      history({
        events: stream('alice', 0, [
          requested(a, 'alice'),
          submitted(a, '1.0'),
          ['StopRequested', { spawnId: a, by: 'alice', reason: 'user' }],
        ]),
        asked: new Map([['server-alice/', 'stop']]),
      }),
    );
    assert.equal(v.figures.lost_events, 1);
    assert.equal(v.figures.inconsistent_end_states, 1);
    assert.equal(v.figures.servers_past_deadline, 1);
    assert.match(
      v.failures.join('\n'),
      /lost: server-alice\/ spawn .* \(job 1\.0\) has no ServerReady or ServerStopped; phase stopping/,
    );
    assert.match(v.failures.join('\n'), /past deadline: server-alice\/ in stopping for \d+ s \(deadline 60 s\)/);
  });

  it('counts a superseded ready spawn that never stopped as lost, while the new one is fine', () => {
    const a = randomUUID();
    const b = randomUUID();
    const v = checkInvariants(
      history({
        events: stream('alice', 0, [...toReady(a, 'alice', '1.0'), ...toReady(b, 'alice', '1.1')]),
        asked: new Map([['server-alice/', 'start']]),
        queue: [{ jobId: '1.1', status: 'running', spawnId: b }],
      }),
    );
    assert.equal(v.figures.lost_events, 1);
    assert.match(v.failures[0], new RegExp(`spawn ${a} .*has no ServerStopped; phase superseded`));
  });

  it('accepts a failed spawn as the end of a start, but not a plain stop nobody asked for', () => {
    const a = randomUUID();
    const b = randomUUID();
    const failed = stream('alice', 0, [
      requested(a, 'alice'),
      submitted(a, '1.0'),
      ['SpawnFailed', { spawnId: a, stage: 'port', diagnosis: 'unknown', userMessage: 'no port' }],
      ['ServerStopped', { spawnId: a, reason: 'failed' }],
    ]);
    const quietlyStopped = stream('bob', 0, [...toReady(b, 'bob', '2.0'), ...stopped(b, '2.0')]);
    const v = checkInvariants(
      history({
        events: [...failed, ...quietlyStopped],
        asked: new Map([
          ['server-alice/', 'start'],
          ['server-bob/', 'start'],
        ]),
      }),
    );
    assert.equal(v.figures.spawns_failed, 1);
    assert.match(v.notes.join('\n'), /spawn failed: server-alice\/ .*: port\/unknown: no port/);
    assert.equal(v.figures.lost_events, 0);
    assert.equal(v.figures.inconsistent_end_states, 1);
    assert.deepEqual(v.failures, ['asked start, ended stopped: server-bob/ (stop reason user)']);
  });

  it('finds a queued job no live server names, and a ready server whose job is gone', () => {
    const a = randomUUID();
    const b = randomUUID();
    const v = checkInvariants(
      history({
        events: [
          ...stream('alice', 0, [...toReady(a, 'alice', '1.0'), ...stopped(a, '1.0')]),
          ...stream('bob', 0, toReady(b, 'bob', '2.0')),
        ],
        queue: [
          { jobId: '1.0', status: 'running', owner: 'alice', spawnId: a },
          { jobId: '3.0', status: 'completed' },
        ],
      }),
    );
    assert.equal(v.figures.stray_jobs, 1);
    assert.equal(v.figures.servers_without_job, 1);
    assert.match(v.failures.join('\n'), /stray job: 1\.0 \(running, owner alice/);
    assert.match(v.failures.join('\n'), /no job: server-bob\/ is ready but its job 2\.0 is not in condor_q/);
  });

  it('does not hold a phase within its deadline against a server', () => {
    const a = randomUUID();
    const v = checkInvariants(
      history({
        now: new Date(T0 + 30_000).toISOString(),
        events: stream('alice', 0, [requested(a, 'alice'), submitted(a, '1.0')]),
        queue: [{ jobId: '1.0', status: 'idle' }],
      }),
    );
    assert.equal(v.figures.servers_past_deadline, 0);
    assert.equal(v.figures.lost_events, 1, 'still open: not ended, whatever its deadline');
  });

  it("fails on a probe answered by another user's notebook or one that got the hub cookie", () => {
    const v = checkInvariants(
      history({
        probes: [
          {
            user: 'alice',
            requests: 5,
            ownAnswers: 3,
            foreign: [
              { user: 'alice', path: '/%75ser/bob/', status: 404, owner: 'bob' },
              { user: 'alice', path: '/%75ser/carol/', status: 404, owner: 'carol' },
            ],
            hubCookieSeen: [{ path: '/%75ser/bob/', owner: 'bob' }],
          },
          {
            user: 'carol',
            requests: 5,
            ownAnswers: 5,
            foreign: [{ user: 'carol', path: '/user/alice/?token=x', status: 200, owner: 'alice' }],
            hubCookieSeen: [],
          },
        ],
      }),
    );
    assert.equal(v.figures.foreign_notebook_responses, 3);
    assert.equal(v.figures.hub_cookie_leaks, 1);
    assert.equal(v.figures.probe_own_answers, 8);
    assert.deepEqual(v.failures, [
      "foreign: /%75ser/<other>/ reached another user's notebook ×2 (e.g. alice got bob's, 404)",
      "foreign: /user/<other>/?token=x reached another user's notebook ×1 (e.g. carol got alice's, 200)",
      "hub cookie leak: /%75ser/<other>/ carried the hub's session cookie to a notebook ×1 (e.g. alice's to bob's)",
    ]);
  });

  it('lists each dead letter with its reason, and fails on one without a reason or whose spawn never ended', () => {
    const a = randomUUID();
    const b = randomUUID();
    const letter = (reason: string | undefined, spawnId: string) => ({
      consumer: 'spawner',
      body: JSON.stringify({
        subject: 'x.events.server.JobRunning',
        streamSequence: 7,
        reason,
        payload: JSON.stringify({ type: 'JobRunning', streamId: 'server-alice/', data: { spawnId } }),
      }),
    });
    const v = checkInvariants(
      history({
        events: [
          ...stream('alice', 0, [...toReady(a, 'alice', '1.0'), ...stopped(a, '1.0')]),
          ...stream('bob', 0, [requested(b, 'bob')]),
        ],
        deadLetters: [
          letter('failed 5 times: db down', a),
          letter(undefined, a),
          letter('failed 5 times', b),
          { consumer: 'proxy', body: 'garbage' },
        ],
      }),
    );
    assert.equal(v.figures.dead_letters, 4);
    assert.equal(v.figures.dead_letters_unaccounted, 3);
    assert.deepEqual(v.notes, ['dead letter: spawner: JobRunning on server-alice/: failed 5 times: db down']);
    const text = v.failures.join('\n');
    assert.match(text, /spawner: JobRunning on server-alice\/: no reason given/);
    assert.match(text, /its spawn never ended \(failed 5 times\)/);
    assert.match(text, /proxy: unknown event: unreadable dead letter/);
  });
});

describe('chaos plan', () => {
  const opts = {
    services: ['hub', 'proxy', 'spawner'],
    killsPerService: 3,
    users: 10,
    cycles: 50,
    userPrefix: 'u',
    brokerDownMs: 5000,
  };

  it('is the same for the same seed, and kills every service the asked number of times', () => {
    const p = chaosPlan({ ...opts, seed: 42 });
    assert.deepEqual(chaosPlan({ ...opts, seed: 42 }), p);
    assert.notDeepEqual(chaosPlan({ ...opts, seed: 43 }).actions, p.actions);
    for (const s of opts.services)
      assert.equal(p.actions.filter((a) => a.kind === 'kill' && a.service === s).length, 3);
    assert.equal(p.actions.filter((a) => a.kind === 'restart-postgres').length, 1);
    assert.equal(p.actions.filter((a) => a.kind === 'restart-nats').length, 1);
  });

  it('spreads the cycles over the users', () => {
    const p = chaosPlan({ ...opts, seed: 1, cycles: 53 });
    assert.equal(p.users.length, 10);
    assert.equal(
      p.users.reduce((n, u) => n + u.cycles.length, 0),
      53,
    );
    assert.ok(p.users.every((u) => u.cycles.length >= 5));
  });
});
