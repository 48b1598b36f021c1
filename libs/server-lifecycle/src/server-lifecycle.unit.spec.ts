import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import {
  type ServerState,
  decideStart,
  decideStop,
  phaseDeadline,
  evolve,
  foldServer,
  initialServerState,
  react,
  followUp,
  retrySpawnId,
  stageMessage,
  userMessage,
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
const stream = serverStreamId('alice', '');
const NOW = new Date(Date.UTC(2026, 10, 25, 13, 0, 0));

function envelopes(events: NewEvent[], from = 1): EventEnvelope[] {
  return events.map((e, i) => ({
    eventId: randomUUID(),
    type: e.type,
    schemaVersion: 1,
    streamId: stream,
    streamVersion: from + i,
    globalPosition: String(from + i),
    transactionId: String(100 + from + i),
    recordedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, from + i)).toISOString(),
    data: e.data,
    metadata: {},
  })) as EventEnvelope[];
}

/** Runs events through evolve + react, appending what react appends, like the spawner does. */
function run(events: NewEvent[], state: ServerState = initialServerState()) {
  const log: EventEnvelope[] = [];
  const effects: ReturnType<typeof react>[] = [];
  const queue = [...events];
  while (queue.length) {
    const [env] = envelopes([queue.shift()!], state.streamVersion + 1);
    state = evolve(state, env);
    log.push(env);
    const r = react(state, env, settings);
    effects.push(r);
    queue.unshift(...r.append);
  }
  return { state, log, effects };
}

const spawnId = randomUUID();
const requested = newEvent('SpawnRequested', {
  spawnId,
  user: 'alice',
  serverName: '',
  options: {},
  requestedBy: 'alice',
});

describe('server lifecycle: decide/evolve/react', () => {
  it('walks the happy path to ready, with timers armed and cancelled', () => {
    const { state, log, effects } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobIdle', { spawnId, jobId: '12.0' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: '127.0.0.2', slot: 'slot1@127.0.0.2' }),
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 }),
      newEvent('NotebookResponded', {
        spawnId,
        url: 'http://127.0.0.2:41000/user/alice/api',
        version: '6.4.12',
        status: 200,
      }),
    ]);
    assert.equal(state.phase, 'routing');
    assert.equal(effects[0].submit, true);
    assert.deepEqual(
      effects[1].arm.map((t) => t.key),
      [`idle:${spawnId}`],
    );
    assert.deepEqual(effects[3].cancel, [`idle:${spawnId}`]);
    assert.equal(log.at(-1)!.type, 'RouteRequested');
    assert.deepEqual(log.at(-1)!.data, {
      spawnId,
      routeSpec: '/user/alice/',
      target: 'http://127.0.0.2:41000',
      owner: 'alice',
    });
    const done = run(
      [newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:41000' })],
      state,
    );
    assert.equal(done.state.phase, 'ready');
    assert.equal(done.state.url, '/user/alice/');
    assert.deepEqual(
      done.state.stages.map((s) => s.type),
      [
        'SpawnRequested',
        'JobSubmitted',
        'JobIdle',
        'JobRunning',
        'PortReported',
        'NotebookResponded',
        'RouteAdded',
        'ServerReady',
      ],
    );
  });

  it('ignores late events of an older spawn', () => {
    const { state } = run([requested, newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' })]);
    const stale = randomUUID();
    const after = run([newEvent('JobRunning', { spawnId: stale, jobId: '9.0', host: 'h', slot: 's' })], state);
    assert.equal(after.state.phase, 'submitted');
    assert.equal(after.state.host, undefined);
    assert.deepEqual(after.effects[0], { append: [], arm: [], cancel: [] });
  });

  it('fails a never-scheduled job on the idle timer and removes it, then stops', () => {
    const { state, log, effects } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('IdleTimedOut', { spawnId, waitedS: 300 }),
    ]);
    assert.deepEqual(
      log.map((e) => e.type),
      ['SpawnRequested', 'JobSubmitted', 'IdleTimedOut', 'SpawnFailed', 'JobRemovalRequested'],
    );
    assert.equal(state.failure?.diagnosis, 'never-scheduled');
    assert.equal(state.failure?.stage, 'queue');
    assert.equal(effects.at(-1)!.removeJob, '12.0');
    assert.equal(state.phase, 'stopping');
  });

  it('a stale timer after the job ran changes nothing', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: 'h', slot: 's' }),
    ]);
    const after = run([newEvent('IdleTimedOut', { spawnId, waitedS: 300 })], state);
    assert.equal(after.state.phase, 'starting');
    assert.equal(after.log.length, 1);
  });

  it('turns a launcher report into a classified failure with the stderr tail', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: 'h', slot: 's' }),
      newEvent('LauncherReported', {
        spawnId,
        stage: 'preflight',
        diagnosis: 'home-over-quota',
        message: 'Home directory /home/alice is full.',
        exitCode: null,
        stderrTail: 'OSError: [Errno 28] No space left on device',
      }),
    ]);
    assert.equal(state.failure?.diagnosis, 'home-over-quota');
    assert.match(state.failure!.userMessage, /Home directory \/home\/alice is full\. Your home directory is full/);
    assert.match(state.failure!.stderrTail!, /No space left/);
  });

  it('a ~/.jupyter setting the launcher found is a user-jupyter-config failure naming the file and the setting', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: 'h', slot: 's' }),
      newEvent('LauncherReported', {
        spawnId,
        stage: 'preflight',
        diagnosis: 'user-jupyter-config',
        message:
          'Your Jupyter configuration file /home/alice/.jupyter/jupyter_server_config.py sets c.ServerApp.port, so the notebook listens on a fixed port instead of the one the launcher picked for it. Remove that line (or the file) and start again.',
        exitCode: null,
        stderrTail: '',
      }),
    ]);
    assert.equal(state.failure?.diagnosis, 'user-jupyter-config');
    assert.match(state.failure!.userMessage, /jupyter_server_config\.py sets c\.ServerApp\.port/);
    assert.match(state.failure!.userMessage, /start again\. Settings in ~\/\.jupyter must not choose/);
    assert.match(userMessage('user-jupyter-config'), /~\/\.jupyter/);
  });

  it('stop never checks the job; stop during submit removes the late job', () => {
    const { state, log } = run([requested, newEvent('StopRequested', { spawnId, by: 'alice', reason: 'user' })]);
    assert.equal(state.phase, 'stopped');
    assert.equal(log.at(-1)!.type, 'ServerStopped');
    const late = run([newEvent('JobSubmitted', { spawnId, jobId: '13.0', submitHost: 'sim' })], state);
    assert.equal(late.effects.at(-1)!.removeJob, '13.0');
  });

  it('removes the route and the job when a ready server is stopped', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: 'h', slot: 's' }),
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 }),
      newEvent('NotebookResponded', {
        spawnId,
        url: 'http://127.0.0.2:41000/user/alice/api',
        version: null,
        status: 200,
      }),
      newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:41000' }),
    ]);
    assert.equal(state.phase, 'ready');
    const stop = run([newEvent('StopRequested', { spawnId, by: 'alice', reason: 'user' })], state);
    assert.deepEqual(
      stop.log.map((e) => e.type),
      ['StopRequested', 'RouteRemovalRequested', 'JobRemovalRequested'],
    );
  });

  it('retries once elsewhere after a node did not report a port', () => {
    const { state, effects } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: '127.0.0.3', slot: 's' }),
      newEvent('PortReportTimedOut', { spawnId, host: '127.0.0.3', waitedS: 120 }),
    ]);
    assert.deepEqual(effects[3].strike, {
      host: '127.0.0.3',
      user: 'alice',
      reason: 'the launcher never reported within 120 s of the job running',
    });
    const stopped = run([newEvent('ServerStopped', { spawnId, reason: 'spawn failed' })], state);
    const retry = stopped.log.find((e) => e.type === 'SpawnRequested')!;
    assert.equal((retry.data as any).retryOf, spawnId);
    assert.deepEqual((retry.data as any).avoidHosts, ['127.0.0.3']);
    assert.equal((retry.data as any).spawnId, retrySpawnId(spawnId));
    assert.equal(stopped.state.phase, 'requested');
  });

  it('moves the route of a ready server whose job HTCondor started again elsewhere', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '13.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '13.0', host: '127.0.0.2', slot: 's1' }),
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 }),
      newEvent('NotebookResponded', {
        spawnId,
        url: 'http://127.0.0.2:41000/user/alice/api',
        version: '2',
        status: 200,
      }),
      newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:41000' }),
    ]);
    assert.equal(state.phase, 'ready');
    const moved = run(
      [
        newEvent('JobIdle', { spawnId, jobId: '13.0' }),
        newEvent('JobRunning', { spawnId, jobId: '13.0', host: '127.0.0.3', slot: 's2' }),
        newEvent('PortReported', { spawnId, host: '127.0.0.3', port: 42000 }),
      ],
      state,
    );
    // Back to the handshake, with its timer; the old route stays until the new target answers.
    assert.equal(moved.state.phase, 'port-reported');
    assert.deepEqual(moved.state.reported, { host: '127.0.0.3', port: 42000, run: 2 });
    assert.deepEqual(
      moved.effects[2].arm.map((a) => a.key),
      [`handshake:${spawnId}`],
    );
    assert.equal(moved.state.routeTarget, 'http://127.0.0.2:41000');
    const answered = run(
      [
        newEvent('NotebookResponded', {
          spawnId,
          url: 'http://127.0.0.3:42000/user/alice/api',
          version: '2',
          status: 200,
        }),
      ],
      moved.state,
    );
    assert.deepEqual(
      answered.log.map((e) => [e.type, (e.data as any).target]),
      [
        ['NotebookResponded', undefined],
        ['RouteRequested', 'http://127.0.0.3:42000'],
      ],
    );
    const ready = run(
      [newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.3:42000' })],
      answered.state,
    );
    assert.deepEqual(
      ready.log.map((e) => e.type),
      ['RouteAdded', 'ServerReady'],
    );
    assert.equal(ready.state.phase, 'ready');
  });

  it('decides start and stop', () => {
    const s0 = initialServerState();
    assert.equal(decideStop(s0, { by: 'a', reason: 'r' }).ok, false);
    const site = { limits: { maxCpus: 8, maxMemoryMb: 8192, namedServerLimit: 2 }, otherActiveNamedServers: 0 };
    const start = decideStart(s0, { spawnId, user: 'alice', serverName: '', options: {}, by: 'alice' }, site);
    assert.ok(start.ok);
    const s1 = foldServer(envelopes(start.events));
    const again = decideStart(
      s1,
      { spawnId: randomUUID(), user: 'alice', serverName: '', options: {}, by: 'alice' },
      site,
    );
    assert.deepEqual(again, { ok: false, code: 'already-active', reason: 'server is already pending' });
    assert.ok(decideStop(s1, { by: 'alice', reason: 'user' }).ok);
  });

  it('gives the requested, routing and stopping phases a deadline that ends them', () => {
    // requested: the start command arms it; the spawn fails with a clear message when it fires.
    const atRequest = run([requested]).state;
    assert.deepEqual(phaseDeadline(atRequest, settings)?.key, `submit:${spawnId}`);
    const unsubmitted = run([newEvent('SubmitTimedOut', { spawnId, waitedS: 300 })], atRequest);
    assert.equal(unsubmitted.state.failure?.stage, 'submit');
    assert.match(unsubmitted.state.failure!.userMessage, /not submitted within 300 s/);
    assert.equal(unsubmitted.state.phase, 'stopped', 'nothing was submitted: stopped at once');
    // A submit that returns after all is removed (JobSubmitted on a stopped server).
    const late = run([newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' })], unsubmitted.state);
    assert.deepEqual(late.effects[0].cancel, [`submit:${spawnId}`]);
    assert.equal(late.log.at(-1)!.type, 'JobRemovalRequested');

    // routing: armed when the answer reaches the spawner, fails the spawn when the route never comes.
    const routing = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '12.0', host: '127.0.0.2', slot: 'slot1@127.0.0.2' }),
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 }),
      newEvent('NotebookResponded', {
        spawnId,
        url: 'http://127.0.0.2:41000/user/alice/api',
        version: null,
        status: 200,
      }),
    ]);
    assert.ok(routing.effects.at(-2)!.arm.some((t) => t.key === `route:${spawnId}` && t.dueInS === 60));
    const noRoute = run([newEvent('RouteTimedOut', { spawnId, waitedS: 60 })], routing.state);
    assert.equal(noRoute.state.failure?.stage, 'route');
    assert.match(noRoute.state.failure!.userMessage, /did not add the route within 60 s/);
    assert.deepEqual(
      noRoute.log.map((e) => e.type),
      ['RouteTimedOut', 'SpawnFailed', 'RouteRemovalRequested', 'JobRemovalRequested'],
    );
    assert.ok(
      noRoute.effects[0].arm.some((t) => t.key === `stop:${spawnId}:1`),
      'the removal has a deadline',
    );

    // stopping: each deadline drives the removal again; after the last, the server is stopped anyway.
    const stuck = noRoute.state;
    assert.equal(stuck.phase, 'stopping');
    const second = run([newEvent('StopTimedOut', { spawnId, waitedS: 60, attempt: 1 })], stuck);
    assert.deepEqual(
      second.log.map((e) => e.type),
      ['StopTimedOut', 'JobRemovalRequested'],
    );
    assert.deepEqual(
      second.effects[0].arm.map((t) => t.key),
      [`stop:${spawnId}:2`],
    );
    const last = run([newEvent('StopTimedOut', { spawnId, waitedS: 180, attempt: 3 })], second.state);
    assert.equal(last.state.phase, 'stopped');
    assert.match(last.state.stopReason!, /without the removal finishing/);
    assert.ok(last.effects.at(-1)!.cancel.includes(`stop:${spawnId}:2`), 'a stopped server leaves no timer');
    // A deadline that fires after its phase is left does nothing.
    for (const late of [
      newEvent('SubmitTimedOut', { spawnId, waitedS: 300 }),
      newEvent('RouteTimedOut', { spawnId, waitedS: 60 }),
      newEvent('StopTimedOut', { spawnId, waitedS: 60, attempt: 1 }),
    ]) {
      assert.deepEqual(run([late], last.state).effects[0].append, []);
    }
  });

  it('a second stop of a stopping server drives the removal again', () => {
    const { state } = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      newEvent('StopRequested', { spawnId, by: 'alice', reason: 'user' }),
    ]);
    assert.equal(state.phase, 'stopping');
    assert.equal(phaseDeadline(state, settings)?.key, `stop:${spawnId}:1`);
    const again = decideStop(state, { by: 'alice', reason: 'user' });
    assert.ok(again.ok);
    const redriven = run(again.events, state);
    assert.deepEqual(
      redriven.log.map((e) => e.type),
      ['StopRequested', 'JobRemovalRequested'],
    );
  });

  it('says how long a slow notebook took to answer the handshake', () => {
    const answer = { spawnId, url: 'http://127.0.0.2:40000/user/alice/api', version: '2.14.0', status: 200 };
    const [first, slow, old] = envelopes([
      newEvent('NotebookResponded', { ...answer, attempts: 1, waitedMs: 4 }),
      newEvent('NotebookResponded', { ...answer, attempts: 12, waitedMs: 3456 }),
      newEvent('NotebookResponded', answer), // recorded before attempts were kept
    ]);
    assert.equal(stageMessage(first), 'Notebook answers (version 2.14.0)');
    assert.equal(stageMessage(slow), 'Notebook answers (version 2.14.0) after 12 requests over 3.5 s');
    assert.equal(stageMessage(old), 'Notebook answers (version 2.14.0)');
  });

  it('follows up an answer with the route request, and a live route with ready, for the appender to record', () => {
    const jobRunning = newEvent('JobRunning', { spawnId, jobId: '12.0', host: '127.0.0.2', slot: 'slot1@127.0.0.2' });
    const atPort = run([
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '12.0', submitHost: 'sim' }),
      jobRunning,
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 }),
    ]).state;
    const answered = newEvent('NotebookResponded', {
      spawnId,
      url: 'http://127.0.0.2:41000/user/alice/api',
      version: '6.4.12',
      status: 200,
    });
    const first = followUp(atPort, [answered], settings, NOW);
    assert.deepEqual(first.cancel, [`idle:${spawnId}`, `port:${spawnId}`, `handshake:${spawnId}`]);
    assert.deepEqual(
      first.append.map((e) => [e.type, e.data]),
      [['RouteRequested', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:41000', owner: 'alice' }]],
    );
    // The spawner reacts on the stream as it is when the answer reaches it: nothing more to
    // append, only the routing phase's deadline to arm.
    const recorded = envelopes([answered, ...first.append], atPort.streamVersion + 1);
    const routing = { state: foldServer(recorded, atPort) };
    const late = react(routing.state, recorded[0], settings);
    assert.deepEqual([late.append, late.arm.map((t) => t.key)], [[], [`route:${spawnId}`]]);
    // A port report the spawner handles only after the answer: earlier timers go, none is armed.
    const reported = envelopes([newEvent('PortReported', { spawnId, host: '127.0.0.2', port: 41000 })], 4)[0];
    const latePort = react(routing.state, reported, settings);
    assert.deepEqual(latePort.arm, []);
    assert.deepEqual(latePort.cancel, [`idle:${spawnId}`, `port:${spawnId}`]);

    const added = newEvent('RouteAdded', { spawnId, routeSpec: '/user/alice/', target: 'http://127.0.0.2:41000' });
    const second = followUp(routing.state, [added], settings, NOW);
    assert.deepEqual(
      second.append.map((e) => e.type),
      ['ServerReady'],
    );
    assert.equal(run([added, ...second.append], routing.state).state.phase, 'ready');

    // Nothing for another spawn's events, a stopping server, or events whose reaction has other effects.
    assert.deepEqual(
      followUp(routing.state, [{ ...added, data: { ...added.data, spawnId: randomUUID() } }], settings, NOW),
      {
        append: [],
        cancel: [],
      },
    );
    const stopping = run([newEvent('StopRequested', { spawnId, by: 'alice', reason: 'user' })], routing.state).state;
    assert.deepEqual(followUp(stopping, [added], settings, NOW).append, []);
    assert.deepEqual(followUp(atPort, [jobRunning], settings, NOW), { append: [], cancel: [] });
  });
});
