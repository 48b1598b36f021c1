// Spawns through the whole of condorhub (hub REST API → spawner → condor-sim → launcher and a
// stand-in notebook → port registry → proxy), all requested at once; then the poller's CPU
// cost at 1,000 tracked jobs against a per-job condor_q (what batchspawner does).
// usage: npm run bench:spawn [-- --spawns 200 --hosts 10 --slots 20 --tracked 1000 --timeout-s 600]
//        smoke: npm run bench:spawn -- --spawns 20 --tracked 100
//        no backlog: npm run bench:spawn -- --spawns 30 --stagger-ms 1000 --tracked 0
//        every service in this one process (as npm start): npm run bench:spawn -- --one-process
//        worker jobs in one cpu cgroup of weight 256: npm run bench:spawn -- --pool-cpu-shares 256
//        two processes of every service (poller leader election, hubs, registries, proxies):
//          npm run bench:spawn -- --tracked 0 --replicas 2
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { bootAll } from '../apps/all-in-one/src/boot-all';
import { type TestCondorhub, createTestCondorhub } from '../apps/all-in-one/src/testing/test-condorhub';
import { CondorPollerService } from '../apps/condor-poller/src/condor-poller.service';
import { ensureUser } from '../tools/condor-sim/harness';
import { type CountingBin, countingCondorBin } from './spawn/counting-condor-bin';
import { measurePollerCpu } from './spawn/poller-cpu';
import { CONDOR_SIM_BIN } from '../tools/condor-sim/harness';
import { flag, numberArg } from './lib/args';
import { percentile, sorted } from './lib/stats';
import { type PoolCgroup, poolCgroup } from './spawn/pool-cgroup';
import { bootstrapCondorPoller } from '../apps/condor-poller/src/bootstrap';
import { type IoCounts, type Replicas, readIoCounts, scrape, startReplicas, stopAllReplicas } from './spawn/replicas';
import { treeCpuSeconds } from './spawn/process-tree-cpu';
import { type StormRate, stormRate } from './spawn/storm-rate';

const SPAWNS = numberArg('spawns', 200);
const HOSTS = numberArg('hosts', 10);
const SLOTS = numberArg('slots', 20);
const TRACKED = numberArg('tracked', 1000);
// 0: all at once. > 0: one request every N ms, to see condorhub's latency without a backlog.
const STAGGER_MS = numberArg('stagger-ms', 0);
const SPAWN_TIMEOUT_S = numberArg('spawn-timeout-s', 300);
// The sim's worker nodes are this machine's cores too; their jobs (launcher + notebook, 400
// Python processes at 200 spawns) run at this nice level, as if on other machines. 0: no.
const JOB_NICE = numberArg('job-nice', 10);
// The simulated pool's worker nodes (every job the sim runs) share one CPU cgroup with this
// weight (cpu.shares; an ordinary process group has 1024), as if on other machines; 0: no. The
// sim daemon (the schedd) and condor_submit & co. stay outside, as on a hub that is a submit host.
const POOL_SHARES = numberArg('pool-cpu-shares', 0);
const DEADLINE_S = numberArg('timeout-s', 900);
// Default: each service in its own process and session, as deployed (docker-compose containers,
// systemd units); the poller stays here, where its cycles are counted. --one-process: all in this
// process, as `npm start` runs them. (--processes, the old name of the default, is accepted.)
const PROCESSES = !flag('one-process');
// Processes per service (with services in processes). > 1: the poller too runs as processes
// (leader election), each hub, port registry and proxy on ports of its own, one proxy worker each.
const REPLICAS = numberArg('replicas', 1);
// The poller as its own process(es) too, so its cost is measured like the others'; then
// poller.condor_q_per_cycle (counted by the in-process poller) is not printed.
const POLLER_PROCESS = PROCESSES && (REPLICAS > 1 || flag('poller-process'));
const SERVICES = [
  'projector',
  'spawner',
  'port-registry',
  'hub',
  'proxy',
  ...(POLLER_PROCESS ? ['condor-poller'] : []),
];
const USER = 'chbench';
// Store connections per service process (CONDORHUB_DATABASE_POOL_MAX); 0: the default (24 for
// the spawner, 10 for the others). With --replicas 2 the default is 12 for every process: the
// spawners together keep the one spawner's 24, and the whole stays within PostgreSQL's
// max_connections (100 here), which 2 × the defaults plus the listeners would exceed.
const POOL_MAX = numberArg('pool-max', numberArg('replicas', 1) > 1 ? 12 : 0);
const poolEnv: Record<string, string> = POOL_MAX ? { CONDORHUB_DATABASE_POOL_MAX: String(POOL_MAX) } : {};

const log = (line: string) => console.log(`  ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stages of a spawn, in order, as events on its server stream. */
const STAGES = [
  'SpawnRequested',
  'JobSubmitted',
  'JobRunning',
  'PortReported',
  'NotebookResponded',
  'RouteRequested',
  'RouteAdded',
  'ServerReady',
] as const;

interface SpawnResult {
  readyS: number[];
  overheadMs: number[];
  /** The handshake's wait for the notebook's answer (NotebookResponded.waitedMs), and overhead less it. */
  notebookWaitMs: number[];
  overheadLessNotebookMs: number[];
  handshakeAttempts: number[];
  slowest?: { server: string; overheadMs: number; steps: string };
  /** The five largest overheads, with when in the storm their port came (s after the first request). */
  slowestFive: string[];
  /** The services' shared event loop: delay percentiles (ms) and CPU used per wall second. */
  loop: { p50: number; p99: number; max: number; cpuShare: number };
  failed: { server: string; detail: string }[];
  /** Spawn timers that outlived their state: fired after ready, or still armed at the end. */
  strayTimers: string[];
  stageGaps: Map<string, number[]>;
  condorQPerCycle: number;
  condorQCalls: number;
  /** Of those, the poll cycles' own (the rest: the spawner looking up a submit that failed). */
  pollerCondorQ: number;
  cycles: number;
  windowS: number;
  wallS: number;
  cost?: Cost;
  /** Per server stream: JobSubmitted and NotebookResponded events beyond one. */
  doubleSubmits: number;
  doubleHandshakes: number;
  condorSubmitCalls: number;
  /** Start requests sent to each hub replica. */
  hubRequests: number[];
  ready: ReadyParts[];
  /** The storm's events per second on the store (bench:store's --storm-rate stands for this). */
  storm: StormRate;
  /** condor_submit as run by the spawner(s): calls and their summed duration (s), from /metrics. */
  submitTool?: { count: number; sumS: number };
}

/**
 * Where a spawn's time to ready went, in s. The pool's own clock (QDate, JobCurrentStartDate)
 * has whole seconds, so each part is ± 1 s; the parts add up to ready.
 */
interface ReadyParts {
  server: string;
  readyS: number;
  /** Request → the schedd queued the job (QDate): the hub, the spawner's condor lane, condor_submit. */
  toQueuedS: number;
  /** QDate → JobCurrentStartDate: the pool matching and starting the job (JobIdle → JobRunning). */
  poolQueueS: number;
  /** Job start → PortReported: the launcher and the notebook starting on the worker (the pool's node). */
  launchS: number;
  /** PortReported → ServerReady: condorhub's handshake and route. */
  overheadS: number;
  /** Job start → JobRunning recorded: the poller noticing (in parallel with launchS, not added). */
  noticedS: number;
  requestedAtS: number;
  queuedAtS: number;
}

/** What the storm cost, from just before the first request to the last spawn ending. */
interface Cost {
  spawns: number;
  perProcess: { service: string; replica: number; cpuMs: number; ownCpuMs: number; io: IoCounts; leader?: number }[];
  events: number;
  eventBytes: number;
  storeBytes: number;
  /** The events table with its indexes and TOAST: what is kept for good (inbox rows and fired timers are pruned). */
  eventTableBytes: number;
  schedCpuMs: number;
}

interface CostSnapshot {
  cpu: ReturnType<typeof treeCpuSeconds>;
  io: Map<number, IoCounts>;
  events: number;
  eventBytes: number;
  storeBytes: number;
  eventTableBytes: number;
  schedCpuS: number;
}

async function costSnapshot(h: TestCondorhub, replicas: Replicas, ioDir: string): Promise<CostSnapshot> {
  const roots = replicas.services.map((s) => s.pid);
  // The counters are written every 250 ms: let a last write land.
  await sleep(600);
  const { rows: ev } = await h.db.pool.query<{ n: number; b: string }>(
    'SELECT count(*)::int AS n, coalesce(sum(pg_column_size(e.*)), 0)::text AS b FROM events e',
  );
  // Everything of this hub's schema: events, indexes, read models, inboxes, timers, tokens.
  const { rows: size } = await h.db.pool.query<{ b: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS b FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [h.db.schema],
  );
  const { rows: eventTable } = await h.db.pool.query<{ b: string }>(
    `SELECT pg_total_relation_size(format('%I.events', $1::text)::regclass)::text AS b`,
    [h.db.schema],
  );
  const daemonPid = Number(fs.readFileSync(`${h.sim.home}/daemon.pid`, 'utf8'));
  return {
    cpu: treeCpuSeconds(roots),
    io: readIoCounts(ioDir, roots),
    events: ev[0].n,
    eventBytes: Number(ev[0].b),
    storeBytes: Number(size[0].b),
    eventTableBytes: Number(eventTable[0].b),
    schedCpuS: treeCpuSeconds([daemonPid]).get(daemonPid)!.total,
  };
}

function costBetween(a: CostSnapshot, b: CostSnapshot, replicas: Replicas, spawns: number, leaders: number[]): Cost {
  return {
    spawns,
    perProcess: replicas.services.map((s, i) => {
      const ia = a.io.get(s.pid)!;
      const ib = b.io.get(s.pid)!;
      return {
        service: s.service,
        replica: s.replica,
        cpuMs: (b.cpu.get(s.pid)!.total - a.cpu.get(s.pid)!.total) * 1000,
        ownCpuMs: (b.cpu.get(s.pid)!.own - a.cpu.get(s.pid)!.own) * 1000,
        io: {
          queries: ib.queries - ia.queries,
          natsIn: ib.natsIn - ia.natsIn,
          natsOut: ib.natsOut - ia.natsOut,
          natsOutBytes: ib.natsOutBytes - ia.natsOutBytes,
        },
        leader: leaders[i],
      };
    }),
    events: b.events - a.events,
    eventBytes: b.eventBytes - a.eventBytes,
    storeBytes: b.storeBytes - a.storeBytes,
    eventTableBytes: b.eventTableBytes - a.eventTableBytes,
    schedCpuMs: (b.schedCpuS - a.schedCpuS) * 1000,
  };
}

/** condor_submit runs of the spawner replicas (their /metrics), summed. */
async function submitToolTime(replicas: Replicas | undefined) {
  if (!replicas) return undefined;
  let count = 0;
  let sumS = 0;
  for (const s of replicas.services) {
    if (s.service !== 'spawner' || !s.metricsUrl) continue;
    const label = 'command="condor_submit"';
    count += (await scrape(s.metricsUrl, 'condorhub_condor_command_duration_seconds_count', label)) ?? NaN;
    sumS += (await scrape(s.metricsUrl, 'condorhub_condor_command_duration_seconds_sum', label)) ?? NaN;
  }
  return { count, sumS };
}

async function benchSpawns(
  h: TestCondorhub,
  bin: CountingBin,
  replicas: Replicas | undefined,
  ioDir: string,
): Promise<SpawnResult> {
  // Requests go to the hub replicas in turn.
  const hubPorts = replicas?.services.filter((s) => s.service === 'hub').map((s) => s.hubPort!) ?? [
    h.config.CONDORHUB_HUB_PORT,
  ];
  const hubRequests = hubPorts.map(() => 0);
  const token = h.config.CONDORHUB_ADMIN_TOKEN!;
  const api = (path: string, method: string, hub = 0) =>
    fetch(`http://127.0.0.1:${hubPorts[hub % hubPorts.length]}/hub/api${path}`, {
      method,
      body: method === 'POST' ? '{}' : undefined,
      headers: { authorization: `token ${token}` },
      signal: AbortSignal.timeout(60_000),
    });
  const created = await api(`/users/${USER}`, 'POST');
  if (![201, 409].includes(created.status)) throw new Error(`create user: ${created.status} ${await created.text()}`);

  // bootAll's order: projector, spawner, condor-poller, … (a get() on another app would abort);
  // with the services in their own processes the poller is the only app here.
  const poller = POLLER_PROCESS ? undefined : h.apps[PROCESSES ? 0 : 2].get(CondorPollerService, { strict: false });

  const names = Array.from({ length: SPAWNS }, (_, i) => `b${i}`);
  const requestedAt = new Map<string, number>();
  const rejected: { server: string; detail: string }[] = [];
  const t0 = Date.now();
  // Every service runs in this one process here: how long its event loop kept events waiting.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpu0 = process.cpuUsage();
  const cost0 = replicas ? await costSnapshot(h, replicas, ioDir) : undefined;
  // All at once, as a lecture's students pressing Start together (or staggered).
  let answered = false;
  const requests = Promise.all(
    names.map(async (name, i) => {
      if (STAGGER_MS) await sleep(i * STAGGER_MS);
      requestedAt.set(name, Date.now());
      hubRequests[i % hubPorts.length]++;
      try {
        const res = await api(`/users/${USER}/servers/${name}`, 'POST', i);
        if (![201, 202].includes(res.status))
          rejected.push({ server: name, detail: `${res.status} ${await res.text()}` });
      } catch (error) {
        rejected.push({ server: name, detail: String(error) });
      }
    }),
  ).then(() => {
    answered = true;
    log(`${SPAWNS} start requests answered in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${rejected.length} rejected`);
  });

  // Count condor_q per poll cycle over the window in which jobs are tracked and pending: both
  // counters are read at the window's ends (a cycle in flight at either end adds ≤ 1 of error).
  let windowStart: { calls: number; polls: number; cycles: number; at: number } | undefined;
  let windowEnd: { calls: number; polls: number; cycles: number; at: number } | undefined;
  const deadline = Date.now() + SPAWN_TIMEOUT_S * 1000;
  let lastLog = 0;
  let done = 0;
  for (;;) {
    const expected = SPAWNS - rejected.length;
    const { rows } = await h.db.pool.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM events WHERE stream_id LIKE $1
        AND type IN ('JobSubmitted', 'JobRunning', 'PortReported', 'ServerReady', 'SpawnFailed') GROUP BY type`,
      [`server-${USER}/%`],
    );
    const n = Object.fromEntries(rows.map((r) => [r.type, r.n])) as Record<string, number>;
    const counts = bin.counts();
    if (!windowStart && (n.JobSubmitted ?? 0) > 0) {
      windowStart = {
        calls: counts.condor_q,
        polls: poller?.condorQueries ?? 0,
        cycles: poller?.cycles ?? 0,
        at: Date.now(),
      };
    }
    done = (n.ServerReady ?? 0) + (n.SpawnFailed ?? 0);
    if (Date.now() - lastLog > 2_000 || (answered && done >= expected)) {
      lastLog = Date.now();
      log(
        `t+${((Date.now() - t0) / 1000).toFixed(0)} s: submitted ${n.JobSubmitted ?? 0}, running ${n.JobRunning ?? 0}, ` +
          `port ${n.PortReported ?? 0}, ready ${n.ServerReady ?? 0}, failed ${n.SpawnFailed ?? 0}; ` +
          `condor_submit ${counts.condor_submit}, condor_q ${counts.condor_q}, condor_history ${counts.condor_history}, ` +
          `poll cycles ${poller?.cycles ?? 'n/a'}; load ${os.loadavg()[0].toFixed(1)}`,
      );
    }
    if (answered && done >= expected) {
      windowEnd = {
        calls: counts.condor_q,
        polls: poller?.condorQueries ?? 0,
        cycles: poller?.cycles ?? 0,
        at: Date.now(),
      };
      break;
    }
    if (Date.now() > deadline) throw new Error(`only ${done}/${expected} spawns finished within ${SPAWN_TIMEOUT_S} s`);
    await sleep(250);
  }
  const wallS = (Date.now() - t0) / 1000;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpu0);
  const loop = {
    p50: loopDelay.percentile(50) / 1e6,
    p99: loopDelay.percentile(99) / 1e6,
    max: loopDelay.max / 1e6,
    cpuShare: (cpu.user + cpu.system) / 1e3 / (wallS * 1000),
  };
  await requests;
  let cost: Cost | undefined;
  if (replicas && cost0) {
    const cost1 = await costSnapshot(h, replicas, ioDir);
    // Which poller replica polled: each says so in condorhub_poller_leader.
    const leaders = await Promise.all(
      replicas.services.map((s) =>
        s.service === 'condor-poller' && s.metricsUrl
          ? scrape(s.metricsUrl, 'condorhub_poller_leader')
          : Promise.resolve(undefined),
      ),
    );
    cost = costBetween(cost0, cost1, replicas, SPAWNS - rejected.length, leaders as number[]);
  }

  // Every stage's recordedAt per server, from the store (one spawn per server here).
  const { rows: events } = await h.db.pool.query<{ stream_id: string; type: string; recorded_at: Date; data: any }>(
    `SELECT stream_id, type, recorded_at, data FROM events WHERE stream_id LIKE $1 ORDER BY global_position`,
    [`server-${USER}/%`],
  );
  const byServer = new Map<string, Map<string, number>>();
  const failed = [...rejected];
  const strayTimers: string[] = [];
  // Two replicas must not both submit a spawn's job or both answer its port report.
  const perStream = new Map<string, number>();
  let doubleSubmits = 0;
  let doubleHandshakes = 0;
  for (const e of events) {
    const server = e.stream_id.slice(`server-${USER}/`.length);
    if (e.type === 'JobSubmitted' || e.type === 'NotebookResponded') {
      const key = `${e.stream_id} ${e.type}`;
      const seen = (perStream.get(key) ?? 0) + 1;
      perStream.set(key, seen);
      if (seen > 1 && e.type === 'JobSubmitted') doubleSubmits++;
      if (seen > 1 && e.type === 'NotebookResponded') doubleHandshakes++;
    }
    if (!byServer.has(server)) byServer.set(server, new Map());
    const m = byServer.get(server)!;
    if (!m.has(e.type)) m.set(e.type, e.recorded_at.getTime());
    if (e.type === 'SpawnFailed')
      failed.push({ server, detail: `${e.data.stage}/${e.data.diagnosis}: ${e.data.userMessage}` });
    if (m.has('ServerReady') && ['IdleTimedOut', 'PortReportTimedOut', 'HandshakeFailed'].includes(e.type))
      strayTimers.push(`${server} ${e.type}`);
  }
  // Every spawn has ended or is ready: a spawn timer still armed would fire on a ready server.
  const { rows: armed } = await h.db.pool.query<{ timer_key: string; stream_id: string }>(
    `SELECT timer_key, stream_id FROM scheduled_messages WHERE fired_at IS NULL AND stream_id LIKE $1`,
    [`server-${USER}/%`],
  );
  for (const t of armed) strayTimers.push(`${t.stream_id.slice(`server-${USER}/`.length)} ${t.timer_key} armed`);
  const readyS: number[] = [];
  const overheadMs: number[] = [];
  const notebookWaitMs: number[] = [];
  const overheadLessNotebookMs: number[] = [];
  const handshakeAttempts: number[] = [];
  const answers = new Map<string, { waitedMs: number; attempts: number }>();
  for (const e of events)
    if (e.type === 'NotebookResponded') answers.set(e.stream_id.slice(`server-${USER}/`.length), e.data);
  // The pool's own times for each job, by spawn id.
  const ads = new Map<string, { qdate: number; start: number }>();
  try {
    const out = execFileSync(
      path.join(h.sim.binDir, 'condor_q'),
      ['-allusers', '-af', 'CondorhubSpawnId', 'QDate', 'JobCurrentStartDate'],
      { env: { ...process.env, ...h.sim.env }, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
    );
    for (const line of out.split('\n')) {
      const [spawnId, qdate, start] = line.trim().split(/\s+/);
      if (spawnId && Number(start) > 0) ads.set(spawnId, { qdate: Number(qdate), start: Number(start) });
    }
  } catch (error) {
    log(`condor_q for the jobs' QDate and start: ${String(error).slice(0, 200)}`);
  }
  const spawnIdOf = new Map<string, string>();
  for (const e of events)
    if (e.type === 'SpawnRequested') spawnIdOf.set(e.stream_id.slice(`server-${USER}/`.length), e.data.spawnId);
  const readyParts: ReadyParts[] = [];
  const stageGaps = new Map<string, number[]>(STAGES.map((s) => [s, []]));
  let slowest: { server: string; overheadMs: number; steps: string } | undefined;
  const firstRequest = Math.min(...requestedAt.values());
  const byOverhead: { server: string; overhead: number; portAt: number }[] = [];
  for (const [server, m] of byServer) {
    const ready = m.get('ServerReady');
    if (ready === undefined) continue;
    readyS.push((ready - requestedAt.get(server)!) / 1000);
    const overhead = ready - m.get('PortReported')!;
    const ad = ads.get(spawnIdOf.get(server) ?? '');
    if (ad) {
      const req = requestedAt.get(server)! / 1000;
      readyParts.push({
        server,
        readyS: ready / 1000 - req,
        toQueuedS: ad.qdate - req,
        poolQueueS: ad.start - ad.qdate,
        launchS: m.get('PortReported')! / 1000 - ad.start,
        overheadS: overhead / 1000,
        noticedS: m.get('JobRunning')! / 1000 - ad.start,
        requestedAtS: req,
        queuedAtS: ad.qdate,
      });
    }
    overheadMs.push(overhead);
    byOverhead.push({ server, overhead, portAt: m.get('PortReported')! });
    const answer = answers.get(server);
    if (answer) {
      notebookWaitMs.push(answer.waitedMs);
      overheadLessNotebookMs.push(overhead - answer.waitedMs);
      handshakeAttempts.push(answer.attempts);
    }
    if (!slowest || overhead > slowest.overheadMs) {
      // Its events from the port report on, in ms after it: where the slowest one waited.
      const port = m.get('PortReported')!;
      const steps = [...m]
        .filter(([, at]) => at >= port)
        .map(([type, at]) => `${type} +${at - port}`)
        .join(', ');
      slowest = { server, overheadMs: overhead, steps };
    }
    let prev = requestedAt.get(server)!;
    for (const stage of STAGES) {
      const at = m.get(stage);
      if (at === undefined) continue;
      stageGaps.get(stage)!.push(at - prev);
      prev = at;
    }
  }
  const calls = windowEnd!.calls - windowStart!.calls;
  const cycles = windowEnd!.cycles - windowStart!.cycles;
  const polls = windowEnd!.polls - windowStart!.polls;
  return {
    readyS,
    overheadMs,
    notebookWaitMs,
    overheadLessNotebookMs,
    handshakeAttempts,
    slowest,
    slowestFive: byOverhead
      .sort((a, b) => b.overhead - a.overhead)
      .slice(0, 5)
      .map((x) => `${x.server} ${x.overhead} ms (port at t+${((x.portAt - firstRequest) / 1000).toFixed(1)} s)`),
    failed,
    strayTimers,
    stageGaps,
    condorQCalls: calls,
    pollerCondorQ: polls,
    cycles,
    condorQPerCycle: cycles ? polls / cycles : NaN,
    windowS: (windowEnd!.at - windowStart!.at) / 1000,
    wallS,
    loop,
    cost,
    doubleSubmits,
    doubleHandshakes,
    condorSubmitCalls: bin.counts().condor_submit,
    hubRequests,
    ready: readyParts,
    storm: await stormRate(h.db.pool),
    submitTool: await submitToolTime(replicas),
  };
}

/** Where ready time went: the spawn at the p99 rank, part by part, and each part's p50 / p99. */
function printReadyParts(r: SpawnResult) {
  if (!r.ready.length) return;
  const byReady = [...r.ready].sort((a, b) => a.readyS - b.readyS);
  const p99 = byReady[Math.min(byReady.length - 1, Math.ceil(0.99 * byReady.length) - 1)];
  const parts = ['toQueuedS', 'poolQueueS', 'launchS', 'overheadS', 'noticedS'] as const;
  const snake = {
    toQueuedS: 'to_queued',
    poolQueueS: 'pool_queue',
    launchS: 'launch',
    overheadS: 'overhead',
    noticedS: 'noticed',
  };
  for (const part of parts) console.log(`ready.p99_spawn.${snake[part]}_s: ${p99[part].toFixed(1)}`);
  for (const part of parts) {
    const xs = sorted(r.ready.map((x) => x[part]));
    console.log(`ready.${snake[part]}_p50_s: ${percentile(xs, 50).toFixed(1)}`);
    console.log(`ready.${snake[part]}_p99_s: ${percentile(xs, 99).toFixed(1)}`);
  }
  // The submit stage: how long each condor_submit ran, and how many went through per second.
  if (r.submitTool?.count)
    console.log(`ready.condor_submit_mean_s: ${(r.submitTool.sumS / r.submitTool.count).toFixed(2)}`);
  // From the first request to the last job queued (with --stagger-ms, at most the request rate).
  const span = Math.max(...r.ready.map((x) => x.queuedAtS)) - Math.min(...r.ready.map((x) => x.requestedAtS));
  console.log(`ready.submits_per_s: ${(r.ready.length / span).toFixed(2)}`);
}

/**
 * Per spawn, each service's share of the storm (all its replicas, from the first request to the
 * last spawn ending, background work in that window included), then each replica's own part.
 */
function printCost(c: Cost, hubRequests: number[]) {
  const per = (x: number, digits = 1) => (x / c.spawns).toFixed(digits);
  const services = [...new Set(c.perProcess.map((p) => p.service))];
  let queries = 0;
  let sent = 0;
  let received = 0;
  for (const service of services) {
    const ps = c.perProcess.filter((p) => p.service === service);
    const sum = (f: (p: (typeof ps)[number]) => number) => ps.reduce((a, p) => a + f(p), 0);
    queries += sum((p) => p.io.queries);
    sent += sum((p) => p.io.natsOut);
    received += sum((p) => p.io.natsIn);
    console.log(`cost.${service}.cpu_ms_per_spawn: ${per(sum((p) => p.cpuMs))}`);
    // The spawner's and the poller's children: condor_submit, condor_q & co. (runuser + the tool).
    if (service === 'spawner' || service === 'condor-poller')
      console.log(`cost.${service}.condor_tools_cpu_ms_per_spawn: ${per(sum((p) => p.cpuMs - p.ownCpuMs))}`);
    console.log(`cost.${service}.store_round_trips_per_spawn: ${per(sum((p) => p.io.queries))}`);
    console.log(`cost.${service}.nats_msgs_sent_per_spawn: ${per(sum((p) => p.io.natsOut))}`);
    console.log(`cost.${service}.nats_msgs_received_per_spawn: ${per(sum((p) => p.io.natsIn))}`);
  }
  console.log(`cost.cpu_ms_per_spawn: ${per(c.perProcess.reduce((a, p) => a + p.cpuMs, 0))}`);
  console.log(`cost.store_round_trips_per_spawn: ${per(queries)}`);
  console.log(`cost.nats_msgs_per_spawn: ${per(sent)}`);
  console.log(`cost.nats_msgs_received_per_spawn: ${per(received)}`);
  console.log(`cost.events_per_spawn: ${per(c.events, 2)}`);
  console.log(`cost.event_bytes_per_spawn: ${per(c.eventBytes, 0)}`);
  console.log(`cost.store_bytes_per_spawn: ${per(c.storeBytes, 0)}`);
  console.log(`cost.event_table_bytes_per_spawn: ${per(c.eventTableBytes, 0)}`);
  console.log(`cost.sim_schedd.cpu_ms_per_spawn: ${per(c.schedCpuMs)}`);
  for (const p of c.perProcess) {
    const name = `replica.${p.service}.${p.replica}`;
    console.log(`${name}.cpu_ms: ${p.cpuMs.toFixed(0)}`);
    console.log(`${name}.store_round_trips: ${p.io.queries}`);
    console.log(`${name}.nats_msgs_sent: ${p.io.natsOut}`);
    if (p.leader !== undefined) console.log(`${name}.leader: ${p.leader}`);
    if (p.service === 'hub') console.log(`${name}.start_requests: ${hubRequests[p.replica]}`);
  }
}

async function main() {
  const [l1, l5] = os.loadavg();
  console.log(
    `spawn bench: ${SPAWNS} ${STAGGER_MS ? `spawns ${STAGGER_MS} ms apart` : 'concurrent spawns'} on ${HOSTS} hosts × ${SLOTS} slots, poller CPU at ${TRACKED} tracked jobs; ` +
      `${os.cpus().length} cpus, node ${process.version}, load ${l1.toFixed(2)}/${l5.toFixed(2)}`,
  );
  if (SPAWNS > HOSTS * SLOTS) throw new Error(`--spawns ${SPAWNS} exceeds ${HOSTS * SLOTS} slots`);
  ensureUser(USER);
  let h: TestCondorhub | undefined;
  let services: Replicas | undefined;
  const ioDir = fs.mkdtempSync(`${os.tmpdir()}/chbench-io-`);
  const pool: PoolCgroup | undefined = POOL_SHARES > 0 ? poolCgroup(POOL_SHARES) : undefined;
  if (POOL_SHARES > 0 && !pool) log('no writable cpu cgroup here: the simulated pool shares the CPU as is');
  const bin = countingCondorBin(CONDOR_SIM_BIN);
  const cleanup = async () => {
    await services?.stop();
    await stopAllReplicas();
    services = undefined;
    const home = h?.sim.home;
    await h?.close().catch(() => undefined);
    h = undefined;
    if (home) fs.rmSync(home, { recursive: true, force: true });
    bin.remove();
    pool?.remove();
    fs.rmSync(ioDir, { recursive: true, force: true });
  };
  // Whatever hangs, the run ends, and sims, schema and stream go with it.
  const deadline = setTimeout(() => {
    console.error(`spawn bench: over ${DEADLINE_S} s, giving up`);
    void cleanup().then(() => process.exit(2));
  }, DEADLINE_S * 1000);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void cleanup().then(() => process.exit(130)));
  try {
    let spawn: SpawnResult | undefined;
    if (SPAWNS > 0) {
      h = await createTestCondorhub({
        label: 'bench_spawn',
        sim: { hosts: HOSTS, slots: SLOTS, delayMs: 100, config: { jobNice: JOB_NICE, jobCpuCgroup: pool?.dir } },
        // Every spawn is a named server of one user: the named-server limit must let them all in.
        env: {
          CONDORHUB_CONDOR_BIN: bin.dir,
          CONDORHUB_LOG_LEVEL: 'error',
          CONDORHUB_NAMED_SERVER_LIMIT: String(SPAWNS),
          ...poolEnv,
          // One proxy worker per proxy replica: as many proxy processes as the default's 2 workers.
          ...(REPLICAS > 1 ? { CONDORHUB_PROXY_WORKERS: '1' } : {}),
        },
        boot: async (config) => {
          if (!PROCESSES) return bootAll(config);
          services = await startReplicas(config, SERVICES, REPLICAS, ioDir);
          return POLLER_PROCESS ? [] : [await bootstrapCondorPoller(config)];
        },
      });
      log(
        `condorhub up (schema ${h.db.schema}, sim ${h.sim.home}, jobs at nice ${JOB_NICE}, ` +
          `jobs ${pool ? `in a cpu cgroup with cpu.shares ${pool.shares}` : 'not confined'}, ` +
          `${PROCESSES ? `services in processes ${services!.services.map((s) => `${s.service}#${s.replica} ${s.pid}`).join(', ')}` : 'services in this process'})`,
      );
      spawn = await benchSpawns(h, bin, services, ioDir);
      await cleanup();
      const r = spawn;
      log(`${r.readyS.length}/${SPAWNS} ready in ${r.wallS.toFixed(1)} s; ${r.failed.length} failed`);
      for (const f of r.failed.slice(0, 5)) log(`  failed ${f.server}: ${f.detail}`);
      log(
        `${PROCESSES ? "this process's event loop (bench and poller)" : "services' event loop (one process)"}: delay p50 ${r.loop.p50.toFixed(0)} / p99 ${r.loop.p99.toFixed(0)} / max ${r.loop.max.toFixed(0)} ms, CPU ${(r.loop.cpuShare * 100).toFixed(0)} % of one core`,
      );
      log(
        `spawn timers fired after ready or still armed (must be none): ${r.strayTimers.length ? r.strayTimers.join(', ') : 'none'}`,
      );
      if (r.slowest) log(`slowest overhead: ${r.slowest.server} ${r.slowest.overheadMs} ms: ${r.slowest.steps}`);
      log(`five slowest: ${r.slowestFive.join(', ')}`);
      log('stage gaps (from the previous stage; request for SpawnRequested), ms p50 / p99 / max:');
      for (const [stage, gaps] of r.stageGaps) {
        const s = sorted(gaps);
        log(`  ${stage.padEnd(18)} ${percentile(s, 50)} / ${percentile(s, 99)} / ${s[s.length - 1]}`);
      }
      const wait = sorted(r.notebookWaitMs);
      const tries = sorted(r.handshakeAttempts);
      log(
        `handshake's wait for the notebook's answer: p50 ${percentile(wait, 50)} / p99 ${percentile(wait, 99)} ms; ` +
          `requests p50 ${percentile(tries, 50)} / max ${tries[tries.length - 1]} (1: it answered the first)`,
      );
      log(
        `condor_q: ${r.condorQCalls} calls seen by the wrapper over ${r.windowS.toFixed(1)} s, ` +
          `${r.pollerCondorQ} of them by the poller in ${r.cycles} cycles ` +
          `(the rest: the spawner looking up submits that failed)`,
      );
      log(
        `per server stream: ${r.doubleSubmits} JobSubmitted and ${r.doubleHandshakes} NotebookResponded beyond one; ` +
          `condor_submit calls ${r.condorSubmitCalls} for ${SPAWNS} spawns; start requests per hub ${r.hubRequests.join(' / ')}`,
      );
      if (r.failed.length) throw new Error(`${r.failed.length} spawns failed`);
      if (r.doubleSubmits || r.doubleHandshakes)
        throw new Error(`${r.doubleSubmits} double submits, ${r.doubleHandshakes} double handshakes`);
      if (r.strayTimers.length) throw new Error(`${r.strayTimers.length} timers fired after ready`);
    }
    const cpu = TRACKED > 0 ? await measurePollerCpu({ user: USER, jobs: TRACKED, concurrency: 2, log }) : undefined;
    if (spawn) {
      console.log(`spawn.ready_p99_s: ${percentile(sorted(spawn.readyS), 99).toFixed(2)}`);
      console.log(`spawn.overhead_p99_ms: ${percentile(sorted(spawn.overheadMs), 99).toFixed(0)}`);
      console.log(`spawn.overhead_p50_ms: ${percentile(sorted(spawn.overheadMs), 50).toFixed(0)}`);
      // The same less the time the notebook itself took to answer the handshake (its CPU share of
      // the simulated pool, not condorhub's work).
      console.log(
        `spawn.overhead_less_notebook_p99_ms: ${percentile(sorted(spawn.overheadLessNotebookMs), 99).toFixed(0)}`,
      );
      if (!POLLER_PROCESS) console.log(`poller.condor_q_per_cycle: ${spawn.condorQPerCycle.toFixed(2)}`);
      console.log(`spawn.replicas: ${PROCESSES ? REPLICAS : 0}`);
      console.log(`check.double_submits: ${spawn.doubleSubmits}`);
      console.log(`check.double_handshakes: ${spawn.doubleHandshakes}`);
      console.log(`check.condor_submit_calls_per_spawn: ${(spawn.condorSubmitCalls / SPAWNS).toFixed(2)}`);
      printReadyParts(spawn);
      const storm = spawn.storm;
      log(
        `the storm on the store: ${storm.events} events over ${storm.spanS.toFixed(1)} s, ` +
          `peak ${storm.peakTransactionsPerS} appending transactions in one second`,
      );
      console.log(`storm.events_per_s_mean: ${storm.meanPerS.toFixed(0)}`);
      console.log(`storm.events_per_s_peak: ${storm.peakPerS}`);
      if (spawn.cost) printCost(spawn.cost, spawn.hubRequests);
    }
    if (cpu) console.log(`poller.cpu_ratio_vs_per_job: ${cpu.ratio.toFixed(0)}`);
    log(`load average at the end: ${os.loadavg()[0].toFixed(2)}`);
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
