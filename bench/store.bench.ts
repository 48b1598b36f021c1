// Event store: appends with version checks (4 writers) against plain INSERTs (the peer
// baseline, same writers, same payload), catch-up read through readAllForward, and the relay's
// lag from committed append to a durable JetStream consumer at a steady 500 events/s; the same
// appends again under a spawn-storm-like background load (see startStorm).
// usage: npm run bench:store [-- --events 20000 --rounds 2 --rate 500 --lag-seconds 20 --batch 500
//   --storm-rate 100 --stress-storm-rate 1000]
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import {
  BEGINNING,
  type Checkpoint,
  appendToStream,
  checkpointOf,
  noAppendApplicationName,
  readAllForward,
} from '@condorhub/event-store';
import { DurableConsumer, createRelay } from '@condorhub/messaging';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats } from '@condorhub/testing';
import { numberArg } from './lib/args';
import { processCpuSeconds } from './lib/proc-cpu';
import { percentile, sorted } from './lib/stats';

const EVENTS = numberArg('events', 20_000);
const ROUNDS = numberArg('rounds', 2);
const WRITERS = numberArg('writers', 4);
const STREAMS_PER_WRITER = numberArg('streams', 50);
const RATE = numberArg('rate', 500);
const LAG_SECONDS = numberArg('lag-seconds', 20);
const READ_BATCH = numberArg('batch', 500);
// The spawn storm's load: above the highest one-second peak bench:spawn's 200-spawn storm put
// on the store (`storm.events_per_s_peak` in bench/RESULTS.md: 44–48 events/s in session 8's
// slow window, 81–89 in session 9's fast one, which packs the same 2,000 events into less
// time). The stress storm is 1,000/s, as if 200 spawns' ~10 events each all came within 2 s
// (0: not run).
const STORM_RATE = numberArg('storm-rate', 100);
const STRESS_STORM_RATE = numberArg('stress-storm-rate', 1_000);
// Hard stop: a stuck phase must not keep the bench (and its schema) around.
const DEADLINE_MS = numberArg('timeout-s', 600) * 1000;

const log = (line: string) => console.log(`  ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bench's PostgreSQL backends (by application name), to attribute server-side CPU. */
async function backendPids(pool: Pool, applicationName: string): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    applicationName,
  ]);
  return rows.map((r) => r.pid);
}

interface CpuSample {
  node: number;
  /** Each backend's CPU seconds at the start. */
  pg: Map<number, number>;
  pids: number[];
}
async function cpuStart(pool: Pool, app: string): Promise<CpuSample> {
  const pids = await backendPids(pool, app);
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1e6, pg: new Map(pids.map((p) => [p, processCpuSeconds(p)])), pids };
}
/** CPU used since `s`: this process's, and that of the backends alive at both ends. */
function cpuSince(s: CpuSample): { node: number; pg: number } {
  const u = process.cpuUsage();
  let pg = 0;
  for (const [pid, before] of s.pg) {
    const now = processCpuSeconds(pid);
    if (now > 0) pg += now - before;
  }
  return { node: (u.user + u.system) / 1e6 - s.node, pg };
}

/**
 * What the writers' backends are doing (pg_stat_activity.wait_event, or CPU / client round trip),
 * sampled every 10 ms from a separate connection: the evidence for what limits the append rate.
 */
function sampleWaits(db: TestDatabase, pids: number[]): { stop(): Promise<string> } {
  const counts = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: db.db.url, application_name: 'bench-sampler' });
    await c.connect();
    try {
      while (running) {
        const { rows } = await c.query<{ w: string }>(
          `SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'on CPU')
                  ELSE 'idle (client side)' END AS w
             FROM pg_stat_activity WHERE pid = ANY($1)`,
          [pids],
        );
        for (const r of rows) counts.set(r.w, (counts.get(r.w) ?? 0) + 1);
        await sleep(10);
      }
    } finally {
      await c.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
      return [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([w, n]) => `${w} ${((n / total) * 100).toFixed(0)}%`)
        .join(', ');
    },
  };
}

/** Runs `count` operations over WRITERS concurrent loops; returns per-second rate. */
async function timedWriters(
  label: string,
  count: number,
  op: (writer: number, n: number) => Promise<void>,
): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const progress = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    log(`${label}: ${done}/${count} (${(done / s).toFixed(0)}/s)`);
  }, 2_000);
  try {
    const perWriter = Math.ceil(count / WRITERS);
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 0; n < perWriter && w * perWriter + n < count; n++) {
          await op(w, n);
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  return count / ((performance.now() - t0) / 1000);
}

/** A typical small spawn event on a server stream, as the poller appends them. */
const jobIdle = () =>
  newEvent('JobIdle', { spawnId: randomUUID(), jobId: `${1000 + Math.floor(Math.random() * 1e5)}.0` });

/** The peer: one plain INSERT of the same event, no version check, no stream row, no wake-up. */
async function insertBaseline(db: TestDatabase, streamId: string): Promise<void> {
  const e = jobIdle();
  await db.pool.query('INSERT INTO baseline_events (stream_id, type, data, metadata) VALUES ($1, $2, $3, $4)', [
    streamId,
    e.type,
    JSON.stringify(e.data),
    JSON.stringify({ actor: 'bench' }),
  ]);
}

async function benchAppends(db: TestDatabase): Promise<{ store: number; baseline: number }> {
  const app = db.db.applicationName!;
  await db.pool.query(`CREATE TABLE baseline_events (
    id bigserial PRIMARY KEY, stream_id text NOT NULL, type text NOT NULL, data jsonb NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}', recorded_at timestamptz NOT NULL DEFAULT now())`);
  // Each writer owns its streams; versions are tracked so every append checks the real one.
  const versions = new Map<string, number>();
  const streamOf = (w: number, n: number) => serverStreamId('chbench', `w${w}-s${n % STREAMS_PER_WRITER}`);
  const store = async (w: number, n: number) => {
    const id = streamOf(w, n);
    const v = versions.get(id) ?? 0;
    const r = await appendToStream(db.pool, id, [jobIdle()], {
      expectedVersion: v === 0 ? 'no_stream' : v,
      metadata: { actor: 'bench' },
    });
    versions.set(id, r.nextVersion);
  };
  const baseline = (w: number, n: number) => insertBaseline(db, streamOf(w, n));
  // Warm connections, plans and the streams rows' first insert out of the measurement.
  await timedWriters('warm-up', 400, async (w, n) => {
    await store(w, n);
    await baseline(w, n);
  });
  const perRound = Math.ceil(EVENTS / ROUNDS);
  const totals = { store: 0, baseline: 0, storeS: 0, baselineS: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift in machine load hits both sides alike.
    const order: ('store' | 'baseline')[] = r % 2 ? ['baseline', 'store'] : ['store', 'baseline'];
    for (const side of order) {
      const cpu = await cpuStart(db.pool, app);
      const waits = sampleWaits(db, cpu.pids);
      const t0 = performance.now();
      const rate = await timedWriters(
        `${side} round ${r + 1}/${ROUNDS}`,
        perRound,
        side === 'store' ? store : baseline,
      );
      const s = (performance.now() - t0) / 1000;
      const used = cpuSince(cpu);
      log(`${side} round ${r + 1}: writers' backends were, by share of samples: ${await waits.stop()}`);
      const busyPct = Math.min(100, ((used.node + used.pg) / s / os.cpus().length) * 100);
      log(
        `${side} round ${r + 1}: ${rate.toFixed(0)}/s; CPU per op: node ${((used.node / perRound) * 1e6).toFixed(0)} µs, ` +
          `postgres backends ${((used.pg / perRound) * 1e6).toFixed(0)} µs (${busyPct.toFixed(0)}% of the cores)`,
      );
      totals[side] += perRound;
      totals[`${side}S`] += s;
    }
  }
  return { store: totals.store / totals.storeS, baseline: totals.baseline / totals.baselineS };
}

/** The storm process's pools (bench/store/storm-process.ts): its writers, its readers. */
const STORM_APPS = ['bench-storm', noAppendApplicationName('bench-storm-reader')];

/**
 * A spawn storm's load on the store at `rate` events/s (bench/store/storm-process.ts), from a
 * process of its own, as the services' appends come in production: the writers measured here
 * keep this process's core.
 */
function startStorm(
  db: TestDatabase,
  rate: number,
): { ready: Promise<{ events: number; seconds: number }>; stop(): Promise<string> } {
  const child = fork(path.join(__dirname, 'store', 'storm-process.ts'), [], {
    execArgv: ['-r', path.join(__dirname, '..', 'tools', 'register.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ db: db.db, rate });
  let onReady: (caughtUp: { events: number; seconds: number }) => void = () => undefined;
  const ready = new Promise<{ events: number; seconds: number }>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code) => reject(new Error(`the storm process exited (${code}) before its load was steady`)));
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('message', (m: { summary?: string; ready?: { events: number; seconds: number } }) => {
      if (m.ready) onReady(m.ready);
      if (m.summary) resolve(m.summary);
    });
    child.once('exit', (code) => reject(new Error(`the storm process exited (${code}) before it reported`)));
  });
  // A storm that dies early fails the bench at stop() (its figures were taken without the load),
  // not the process at once, which would leave the bench's schema behind.
  done.catch(() => undefined);
  ready.catch(() => undefined);
  return {
    ready,
    async stop() {
      child.send({ stop: true });
      const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await done;
      } finally {
        clearTimeout(timeout);
      }
    },
  };
}

/**
 * The append figure again, 4 writers as in benchAppends, while startStorm's load runs; and the
 * baseline's plain INSERTs under the same storm, right after, for what the machine allows.
 */
async function benchAppendsUnderStorm(db: TestDatabase, rate: number): Promise<{ store: number; baseline: number }> {
  const app = db.db.applicationName!;
  const versions = new Map<string, number>();
  const streamOf = (w: number, n: number) => serverStreamId('chbench', `storm${rate}-w${w}-s${n % STREAMS_PER_WRITER}`);
  const storm = startStorm(db, rate);
  try {
    // Measured once the storm's readers follow the log live (they catch up on it first) and its
    // appends have run for a moment: the load of a storm, not of a read-model rebuild. A storm
    // that dies rejects this; one that never catches up meets the bench's own deadline.
    const caughtUp = await storm.ready;
    log(
      `${rate}/s storm: its readers caught up on ${caughtUp.events} events in ${caughtUp.seconds.toFixed(1)} s ` +
        'before its appends began',
    );
    const count = Math.ceil(EVENTS / ROUNDS);
    const result = { store: 0, baseline: 0 };
    for (const side of ['store', 'baseline'] as const) {
      const cpu = await cpuStart(db.pool, app);
      const stormCpu = await Promise.all(STORM_APPS.map((a) => cpuStart(db.pool, a)));
      const t0 = performance.now();
      const waits = sampleWaits(db, cpu.pids);
      result[side] = await timedWriters(`${side} under a ${rate}/s storm`, count, async (w, n) => {
        const id = streamOf(w, n);
        if (side === 'baseline') return insertBaseline(db, id);
        const v = versions.get(id) ?? 0;
        const r = await appendToStream(db.pool, id, [jobIdle()], {
          expectedVersion: v === 0 ? 'no_stream' : v,
          metadata: { actor: 'bench' },
        });
        versions.set(id, r.nextVersion);
      });
      const used = cpuSince(cpu);
      log(`${side} under a ${rate}/s storm: writers' backends were, by share of samples: ${await waits.stop()}`);
      log(
        `${side} under a ${rate}/s storm: ${result[side].toFixed(0)}/s; CPU per op (the storm's process not included): ` +
          `node ${((used.node / count) * 1e6).toFixed(0)} µs, writers' postgres backends ${((used.pg / count) * 1e6).toFixed(0)} µs`,
      );
      const seconds = (performance.now() - t0) / 1000;
      const stormPg = stormCpu.map((c, i) => `${STORM_APPS[i]} ${((cpuSince(c).pg / seconds) * 100).toFixed(0)} %`);
      log(`${side} under a ${rate}/s storm: the storm's postgres backends used, of a core: ${stormPg.join(', ')}`);
    }
    return result;
  } finally {
    log(`storm: ${await storm.stop()}`);
  }
}

async function benchRead(db: TestDatabase): Promise<{ rate: number; events: number }> {
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
  const total = Number(rows[0].n);
  const rates: number[] = [];
  // Three full passes, median: one pass is short enough to be swayed by a neighbour's burst.
  for (let pass = 1; pass <= 3; pass++) {
    let cp: Checkpoint = BEGINNING;
    let read = 0;
    const t0 = performance.now();
    for (;;) {
      const batch = await readAllForward(db.pool, cp, READ_BATCH);
      if (!batch.length) break;
      read += batch.length;
      cp = checkpointOf(batch[batch.length - 1]);
    }
    const rate = read / ((performance.now() - t0) / 1000);
    if (read !== total) throw new Error(`catch-up read ${read} of ${total} events`);
    log(`read pass ${pass}/3: ${read} events in batches of ${READ_BATCH}: ${rate.toFixed(0)}/s`);
    rates.push(rate);
  }
  rates.sort((a, b) => a - b);
  return { rate: rates[1], events: total };
}

async function benchRelayLag(db: TestDatabase, nats: TestNats): Promise<{ p50: number; p99: number; max: number }> {
  const committedAt = new Map<string, number>();
  const receivedAt = new Map<string, number>();
  const issuedAt = new Map<string, number>();
  const relayErrors: unknown[] = [];
  const relay = createRelay({
    pool: db.pool,
    db: db.db,
    nc: nats.nc,
    prefix: nats.prefix,
    onError: (e) => relayErrors.push(e),
  });
  const consumer = new DurableConsumer({
    nc: nats.nc,
    streamName: nats.streamName,
    prefix: nats.prefix,
    durable: 'bench_lag',
    handle: async (event) => {
      if (!receivedAt.has(event.eventId)) receivedAt.set(event.eventId, performance.now());
    },
  });
  // Catch the relay up on the append phase's events first: the lag measured is live-follow lag.
  relay.start();
  await consumer.start();
  const backlog = Number((await db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events')).rows[0].n);
  const catchUp0 = performance.now();
  while (receivedAt.size < backlog) {
    if (performance.now() - catchUp0 > 120_000) throw new Error(`relay catch-up: ${receivedAt.size}/${backlog}`);
    await sleep(200);
  }
  log(`relay caught up on ${backlog} stored events in ${((performance.now() - catchUp0) / 1000).toFixed(1)} s`);
  receivedAt.clear();

  const streams = 200;
  const versions = new Array<number>(streams).fill(0);
  const busy = new Array<boolean>(streams).fill(false);
  const total = RATE * LAG_SECONDS;
  let issued = 0;
  let inFlight = 0;
  let failures = 0;
  const t0 = performance.now();
  const appendOne = async (s: number) => {
    busy[s] = true;
    inFlight++;
    const id = randomUUID();
    issuedAt.set(id, performance.now());
    try {
      const r = await appendToStream(db.pool, serverStreamId('chbench', `lag-${s}`), [jobIdle()], {
        expectedVersion: versions[s] === 0 ? 'no_stream' : versions[s],
        eventIds: [id],
      });
      committedAt.set(id, performance.now());
      versions[s] = r.nextVersion;
    } catch (e) {
      if (!failures++) log(`relay lag: first failed append: ${String(e)}`);
    } finally {
      busy[s] = false;
      inFlight--;
    }
  };
  // Readers only see transactions older than every one in flight, cluster-wide: sample how
  // long other sessions' writing transactions stay open, to tell relay lag from held-back xmin.
  const horizon: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await db.pool.query<{ ms: number | null }>(
        `SELECT (extract(epoch FROM max(clock_timestamp() - xact_start)) * 1000)::float8 AS ms FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL AND application_name <> $1`,
        [db.db.applicationName],
      );
      horizon.push(rows[0].ms ?? 0);
      await sleep(100);
    }
  })();
  let lastLog = t0;
  // A steady rate: every 2 ms, issue whatever the schedule says is due by now.
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
    while (issued < due) {
      let s = issued % streams;
      for (let k = 0; busy[s] && k < streams; k++) s = (s + 1) % streams;
      void appendOne(s);
      issued++;
    }
    if (performance.now() - lastLog > 2_000) {
      lastLog = performance.now();
      log(`relay lag: ${issued}/${total} appended, ${receivedAt.size} received, ${inFlight} appends in flight`);
    }
    await sleep(2);
  }
  const appendSeconds = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  const held = sorted(horizon);
  log(
    `relay lag: other sessions' open write transactions, sampled every 100 ms: p50 ${percentile(held, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(held, 99).toFixed(0)} ms, max ${held[held.length - 1].toFixed(0)} ms; ` +
      `${held.filter((x) => x > 50).length} of ${held.length} samples over 50 ms`,
  );
  const drain0 = performance.now();
  while (receivedAt.size < total - failures && performance.now() - drain0 < 30_000) await sleep(50);
  await consumer.stop();
  await relay.stop();
  log(
    `relay lag: ${total} appends in ${appendSeconds.toFixed(1)} s (${(total / appendSeconds).toFixed(0)}/s), ` +
      `${failures} failed, ${receivedAt.size} received, ${relayErrors.length} relay errors`,
  );
  if (failures || receivedAt.size < total) throw new Error('relay lag phase lost events');
  const lags: number[] = [];
  const fromIssue: number[] = [];
  let early = 0;
  for (const [id, c] of committedAt) {
    const lag = receivedAt.get(id)! - c;
    // Received before the commit ack reached the writer: the ack itself was the slow part.
    if (lag < 0) early++;
    lags.push(Math.max(0, lag));
    fromIssue.push(receivedAt.get(id)! - issuedAt.get(id)!);
  }
  lags.sort((a, b) => a - b);
  fromIssue.sort((a, b) => a - b);
  log(
    `relay lag: ${early} events arrived before their commit ack; from append call to consumer: ` +
      `p50 ${percentile(fromIssue, 50).toFixed(1)} ms, p99 ${percentile(fromIssue, 99).toFixed(1)} ms`,
  );
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] };
}

async function main() {
  const [l1, l5] = os.loadavg();
  console.log(
    `store bench: ${EVENTS} appends over ${WRITERS} writers (${ROUNDS} rounds), relay at ${RATE}/s for ${LAG_SECONDS} s, ` +
      `storm at ${STORM_RATE}/s (stress ${STRESS_STORM_RATE}/s); ` +
      `${os.cpus().length} cpus, node ${process.version}, load ${l1.toFixed(2)}/${l5.toFixed(2)}`,
  );
  let db: TestDatabase | undefined;
  let nats: TestNats | undefined;
  const deadline = setTimeout(() => {
    console.error(`store bench: over ${DEADLINE_MS / 1000} s, giving up`);
    void Promise.allSettled([nats?.drop(), db?.drop()]).then(() => process.exit(2));
  }, DEADLINE_MS);
  try {
    db = await createTestDatabase('bench_store');
    nats = await createTestNats('bench_store');
    const appends = await benchAppends(db);
    const read = await benchRead(db);
    const lag = await benchRelayLag(db, nats);
    const underStorm = await benchAppendsUnderStorm(db, STORM_RATE);
    const underStress = STRESS_STORM_RATE > 0 ? await benchAppendsUnderStorm(db, STRESS_STORM_RATE) : undefined;
    log(`relay lag p50 ${lag.p50.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms`);
    console.log(`store.append_per_s: ${appends.store.toFixed(0)}`);
    console.log(`baseline.insert_per_s: ${appends.baseline.toFixed(0)}`);
    console.log(`store.append_per_s_under_storm: ${underStorm.store.toFixed(0)}`);
    console.log(`baseline.insert_per_s_under_storm: ${underStorm.baseline.toFixed(0)}`);
    if (underStress) {
      console.log(`store.append_per_s_under_stress_storm: ${underStress.store.toFixed(0)}`);
      console.log(`baseline.insert_per_s_under_stress_storm: ${underStress.baseline.toFixed(0)}`);
    }
    console.log(`store.read_per_s: ${read.rate.toFixed(0)}`);
    console.log(`store.relay_lag_p99_ms: ${lag.p99.toFixed(1)}`);
    const [e1] = os.loadavg();
    log(`load average at the end: ${e1.toFixed(2)}`);
  } finally {
    clearTimeout(deadline);
    await nats?.drop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
