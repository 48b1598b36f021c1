// The chaos suite: condorhub split into its services (each its own process, as deployed) on a
// private PostgreSQL, a private nats-server and condor-sim, while users start and stop servers
// through the hub's REST API and a driver SIGKILLs each service at random points and restarts
// PostgreSQL and NATS. Then, once the system has settled, the invariants (invariants.ts).
// usage: npm run test:chaos [-- --seed N --users 10 --cycles 50 --kills 3 --timeout-s 570]
//        replay a run: npm run test:chaos -- --seed <the seed it printed>
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@condorhub/config';
import { PrivateNatsServer, freePort } from '@condorhub/testing';
import { serviceProcessEnv } from '../../apps/all-in-one/src/testing/service-processes';
import { STAND_IN_NOTEBOOK } from '../../apps/all-in-one/src/testing/test-condorhub';
import { numberArg } from '../../bench/lib/args';
import { type CondorSim, ensureUser, startCondorSim } from '../condor-sim/harness';
import { type ChaosAction, between, chaosPlan, describeAction, seededRandom } from './chaos-plan';
import { readDeadLetters, readQueue, readServerEvents } from './collect';
import { type DriverTally, UserDriver } from './driver';
import { HubApi, json, loginCookie } from './hub-client';
import { type Ask, type ChaosHistory, MUST_BE_ZERO, checkInvariants } from './invariants';
import { PrivatePostgres } from './private-postgres';
import { ProbeClient } from './probes';
import { ServiceSupervisor } from './service-supervisor';

const SEED = numberArg('seed', randomInt(1, 2 ** 31 - 1));
const USERS = numberArg('users', 10);
const CYCLES = numberArg('cycles', 50);
const KILLS = numberArg('kills', 3);
// How long PostgreSQL and nats-server stay down when restarted.
const BROKER_DOWN_S = numberArg('broker-down-s', 10);
// A request's or a wait's bound in the driver (start accepted, ready, stopped).
const WAIT_S = numberArg('wait-s', 90);
// The whole run, set-up to clean-up: it must fit CI.
const TIMEOUT_S = numberArg('timeout-s', 570);
// Longest wait for the system to settle after the chaos before the check.
const SETTLE_S = numberArg('settle-s', 110);
const HOSTS = numberArg('hosts', 3);
const SLOTS = numberArg('slots', 8);
const SERVICES = ['projector', 'spawner', 'condor-poller', 'port-registry', 'hub', 'proxy'];
const ADMIN_TOKEN = 'chaos-admin-token-0123456789abcdef';
// A hub admin's browser session, probing every user's notebook for the hub cookie.
const ADMIN_USER = 'chaosadmin';

// Short timeouts, so a stuck step ends (or shows) within the run.
const SETTINGS = {
  CONDORHUB_CONDOR_TIMEOUT_S: 10,
  CONDORHUB_IDLE_TIMEOUT_S: 60,
  CONDORHUB_PORT_TIMEOUT_S: 45,
  CONDORHUB_HANDSHAKE_TIMEOUT_S: 30,
  CONDORHUB_STRAY_JOB_GRACE_S: 10,
  CONDORHUB_RUNNING_POLL_S: 5,
  CONDORHUB_PENDING_POLL_S: 1,
};
// What an operator may expect of each phase, in seconds: the step's own timeout (three condor
// calls for a submit or a removal) and 30 s of slack for a restart in between. 'ready' has none.
const S = SETTINGS;
const DEADLINES: ChaosHistory['deadlines'] = {
  requested: 3 * S.CONDORHUB_CONDOR_TIMEOUT_S + 30,
  submitted: S.CONDORHUB_IDLE_TIMEOUT_S + 30,
  queued: S.CONDORHUB_IDLE_TIMEOUT_S + 30,
  starting: S.CONDORHUB_PORT_TIMEOUT_S + 30,
  'port-reported': S.CONDORHUB_HANDSHAKE_TIMEOUT_S + 30,
  routing: 30,
  stopping: 3 * S.CONDORHUB_CONDOR_TIMEOUT_S + 30,
};

const t0 = Date.now();
const elapsed = () => `t+${((Date.now() - t0) / 1000).toFixed(0)}s`;
const log = (line: string) => console.log(`  ${elapsed()} ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: no success within ${timeoutMs} ms`);
    await sleep(500);
  }
}

interface Stack {
  workDir: string;
  pg?: PrivatePostgres;
  nats?: PrivateNatsServer;
  sim?: CondorSim;
  services?: ServiceSupervisor;
}

async function cleanup(stack: Stack, keepLogs: boolean) {
  await stack.services?.stopAll().catch(() => undefined);
  stack.services = undefined;
  stack.sim?.stop();
  if (stack.sim) fs.rmSync(stack.sim.home, { recursive: true, force: true });
  stack.sim = undefined;
  await stack.nats?.dispose().catch(() => undefined);
  stack.nats = undefined;
  stack.pg?.dispose();
  stack.pg = undefined;
  if (!keepLogs) fs.rmSync(stack.workDir, { recursive: true, force: true });
}

async function main(stack: Stack): Promise<boolean> {
  const [l1] = os.loadavg();
  console.log(
    `chaos: seed ${SEED} (replay: npm run test:chaos -- --seed ${SEED}); ${CYCLES} cycles over ${USERS} users, ` +
      `${KILLS} SIGKILLs per service, PostgreSQL and NATS restarted once; ${os.cpus().length} cpus, load ${l1.toFixed(2)}`,
  );
  const plan = chaosPlan({
    seed: SEED,
    services: SERVICES,
    killsPerService: KILLS,
    users: USERS,
    cycles: CYCLES,
    userPrefix: 'chaos',
    brokerDownMs: BROKER_DOWN_S * 1000,
  });
  log(`faults, in order: ${plan.actions.map(describeAction).join('; ')}`);
  for (const u of plan.users) ensureUser(u.name);

  stack.pg = await PrivatePostgres.start();
  stack.nats = await PrivateNatsServer.start();
  stack.sim = startCondorSim({ hosts: HOSTS, slots: SLOTS, delayMs: 100 });
  // The condor tools the services run find the sim through the environment they inherit.
  Object.assign(process.env, stack.sim.env);
  const proxyPort = await freePort();
  const config = loadConfig({
    CONDORHUB_DATABASE_URL: stack.pg.url,
    CONDORHUB_NATS_URL: stack.nats.url,
    CONDORHUB_PROXY_PORT: String(proxyPort),
    CONDORHUB_PUBLIC_URL: `http://127.0.0.1:${proxyPort}`,
    CONDORHUB_HUB_PORT: String(await freePort()),
    CONDORHUB_PORT_REGISTRY_PORT: String(await freePort()),
    CONDORHUB_CONDOR_BIN: stack.sim.binDir,
    CONDORHUB_CONDOR_PREFIX: 'runuser -u {user} --',
    CONDORHUB_NOTEBOOK_CMD: `python3 ${STAND_IN_NOTEBOOK}`,
    CONDORHUB_LOG_LEVEL: 'warn',
    CONDORHUB_ADMIN_TOKEN: ADMIN_TOKEN,
    CONDORHUB_ADMIN_USERS: ADMIN_USER,
    CONDORHUB_COOKIE_SECRET: 'chaos-cookie-secret-0123456789abcdef0123',
    ...Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, String(v)])),
  });
  log(
    `private PostgreSQL on ${stack.pg.port}, nats-server on ${stack.nats.port}, condor-sim ${HOSTS}×${SLOTS} slots; ` +
      `service logs in ${path.join(stack.workDir, 'logs')}`,
  );
  const services = new ServiceSupervisor(
    { ...serviceProcessEnv(config), NO_COLOR: '1' },
    path.join(stack.workDir, 'logs'),
    log,
  );
  stack.services = services;
  for (const s of SERVICES) await services.start(s);
  log(`services up: ${SERVICES.map((s) => `${s} ${services.pid(s)}`).join(', ')}`);

  // Users, each with its own API token (driver) and its own browser session (probe).
  const base = config.CONDORHUB_PUBLIC_URL;
  const admin = new HubApi(base, ADMIN_TOKEN);
  const names = plan.users.map((u) => u.name);
  const tokens = new Map<string, string>();
  for (const name of names) {
    await until(`create ${name}`, async () => {
      const a = await admin.call('POST', `/users/${name}`);
      return [201, 409].includes(a.status) ? true : undefined;
    });
    tokens.set(
      name,
      await until(`token for ${name}`, async () => {
        const a = await admin.call('POST', `/users/${name}/tokens`, { note: 'chaos driver' });
        return a.status === 201 ? (json(a)?.token as string) : undefined;
      }),
    );
  }
  const random = seededRandom(SEED ^ 0x5eed);
  const probes: ProbeClient[] = [];
  for (const name of names) {
    const cookie = await until(`login ${name}`, () => loginCookie(base, name).catch(() => undefined));
    probes.push(
      new ProbeClient(
        base,
        name,
        cookie,
        names.filter((n) => n !== name),
        random,
      ),
    );
  }
  const adminCookie = await until(`login ${ADMIN_USER}`, () => loginCookie(base, ADMIN_USER).catch(() => undefined));
  probes.push(new ProbeClient(base, ADMIN_USER, adminCookie, names, random, true));
  for (const p of probes) p.start();
  log(`${names.length} users with tokens and sessions, and an admin's session; probes running`);

  // The chaos: the plan's faults in order, each after the previous one's restart unless it overlaps.
  const tally: DriverTally = {
    cyclesStarted: 0,
    cyclesDone: 0,
    ready: 0,
    failed: 0,
    timedOut: 0,
    unexpected: [],
    inFlight: 0,
    repeatedStops: 0,
  };
  // PostgreSQL and NATS go down at a busy moment (spawns under way, up to 20 s of waiting for
  // one): events in flight are what a broker outage can lose.
  const busyMoment = async () => {
    const giveUp = Date.now() + 20_000;
    while (tally.inFlight < 3 && Date.now() < giveUp) await sleep(100);
  };
  let faultsDone = 0;
  let lastFault = 'none yet';
  let pgRestarts = 0;
  let natsRestarts = 0;
  const doFault = async (a: ChaosAction) => {
    await sleep(a.pauseMs);
    lastFault = describeAction(a);
    if (a.kind === 'kill') await services.killAndRestart(a.service, a.downMs);
    else if (a.kind === 'restart-postgres') {
      await busyMoment();
      stack.pg!.down();
      await sleep(a.downMs);
      stack.pg!.up();
      pgRestarts++;
    } else {
      await busyMoment();
      await stack.nats!.down();
      await sleep(a.downMs);
      await stack.nats!.up();
      natsRestarts++;
    }
    faultsDone++;
  };
  let chaosOver = false;
  const chaos = (async () => {
    try {
      const overlapping: Promise<void>[] = [];
      for (const a of plan.actions) {
        const fault = doFault(a);
        if (a.overlap) overlapping.push(fault);
        else await fault;
      }
      await Promise.all(overlapping);
    } finally {
      chaosOver = true;
    }
  })();

  // The users: cycle k of n waits until k/n of the faults are done, so the cycles spread over the chaos.
  const asked = new Map<string, Ask>();
  const uncertain = new Set<string>();
  const driving = Promise.all(
    plan.users.map(async (u) => {
      const driver = new UserDriver(u.name, new HubApi(base, tokens.get(u.name)!), tally, asked, uncertain, WAIT_S);
      for (const [k, c] of u.cycles.entries()) {
        while (!chaosOver && faultsDone < Math.floor((k * plan.actions.length) / u.cycles.length)) await sleep(250);
        await driver.cycle(c);
        await sleep(between(random, 300, 2_000));
      }
    }),
  );
  const progress = setInterval(() => {
    const p = probes.reduce((n, x) => n + x.tally.requests, 0);
    const own = probes.reduce((n, x) => n + x.tally.ownAnswers, 0);
    const foreign = probes.reduce((n, x) => n + x.tally.foreign.length, 0);
    log(
      `cycles ${tally.cyclesDone}/${CYCLES} done (ready ${tally.ready}, failed ${tally.failed}, timed out ${tally.timedOut}); ` +
        `faults ${faultsDone}/${plan.actions.length} (last: ${lastFault}); probes ${p} (own notebook ${own}, foreign ${foreign}); ` +
        `load ${os.loadavg()[0].toFixed(1)}`,
    );
  }, 5_000);
  await Promise.all([chaos, driving]).finally(() => clearInterval(progress));
  for (const p of probes) await p.stop();
  log(`chaos over: ${faultsDone} faults, ${tally.cyclesDone} cycles`);

  // Settle: every service up, the stray grace and two poll cycles over (a job submitted at the
  // last moment has had its chance to be named or removed); then wait until the servers and
  // the queue agree, or the time is up.
  await services.ensureAll(SERVICES);
  await sleep((S.CONDORHUB_STRAY_JOB_GRACE_S + 2 * S.CONDORHUB_RUNNING_POLL_S) * 1000);
  const settleEnd = Math.min(Date.now() + SETTLE_S * 1000, t0 + (TIMEOUT_S - 40) * 1000);
  const probeTallies = probes.map((p) => p.tally);
  const collect = async (): Promise<ChaosHistory> => {
    const streamAsked = new Map([...asked].filter(([s]) => !uncertain.has(s)));
    return {
      now: new Date().toISOString(),
      events: await readServerEvents(stack.pg!.url),
      asked: streamAsked,
      queue: await readQueue(stack.sim!.binDir, stack.sim!.env),
      deadLetters: await readDeadLetters(stack.nats!.url, config.CONDORHUB_NATS_STREAM, config.CONDORHUB_NATS_PREFIX),
      probes: probeTallies,
      deadlines: DEADLINES,
    };
  };
  const settledFigures = ['lost_events', 'inconsistent_end_states', 'stray_jobs', 'servers_without_job'];
  let history = await collect();
  let verdict = checkInvariants(history);
  for (;;) {
    const open = settledFigures.filter((f) => verdict.figures[f] > 0);
    if (!open.length || Date.now() > settleEnd) break;
    log(`settling: ${open.map((f) => `${f} ${verdict.figures[f]}`).join(', ')}`);
    await sleep(5_000);
    history = await collect();
    verdict = checkInvariants(history);
  }

  const f = verdict.figures;
  const kills = SERVICES.map((s) => services.kills.get(s) ?? 0);
  const run: Record<string, number> = {
    seed: SEED,
    cycles: tally.cyclesDone,
    cycles_ready: tally.ready,
    cycles_failed: tally.failed,
    cycles_timed_out: tally.timedOut,
    repeated_stops: tally.repeatedStops,
    driver_unexpected_answers: tally.unexpected.length,
    service_kills: kills.reduce((a, b) => a + b, 0),
    service_kills_min: Math.min(...kills),
    postgres_restarts: pgRestarts,
    nats_restarts: natsRestarts,
    unplanned_exits: services.unplannedExits.length,
    uncertain_asks: uncertain.size,
  };
  for (const line of tally.unexpected.slice(0, 10)) log(`driver: unexpected answer: ${line}`);
  for (const e of services.unplannedExits)
    log(`${e.service} exited on its own (${e.how}) at t+${((e.at - t0) / 1000).toFixed(0)}s`);
  for (const n of verdict.notes.slice(0, 30)) log(n);
  if (verdict.notes.length > 30) log(`… ${verdict.notes.length - 30} more notes`);
  for (const line of verdict.failures.slice(0, 40)) log(`FAIL ${line}`);
  if (verdict.failures.length > 40) log(`… ${verdict.failures.length - 40} more failures`);
  for (const [name, n] of Object.entries({ ...run, ...f })) console.log(`chaos.${name}: ${n}`);
  console.log(`chaos.wall_s: ${((Date.now() - t0) / 1000).toFixed(0)}`);

  const broken = MUST_BE_ZERO.filter((name) => f[name] > 0);
  const incomplete: string[] = [];
  if (run.service_kills_min < KILLS) incomplete.push(`a service was killed only ${run.service_kills_min} times`);
  if (pgRestarts < 1 || natsRestarts < 1) incomplete.push('PostgreSQL or NATS was not restarted');
  if (tally.cyclesDone < CYCLES) incomplete.push(`${tally.cyclesDone}/${CYCLES} cycles`);
  if (broken.length || incomplete.length) {
    // What the check saw, for the post-mortem (the store and the queue go with the run).
    fs.writeFileSync(
      path.join(stack.workDir, 'history.json'),
      JSON.stringify({ ...history, asked: [...history.asked], verdict }, null, 1),
    );
    console.log(
      `chaos: FAILED (seed ${SEED}): ${[...broken.map((b) => `chaos.${b} ${f[b]}`), ...incomplete].join(', ')}; ` +
        `service logs and history.json kept in ${stack.workDir}`,
    );
    return false;
  }
  console.log(`chaos: passed (seed ${SEED})`);
  return true;
}

const stack: Stack = { workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'condorhub-chaos-')) };
// Whatever hangs, the run ends within its time, and everything it started goes with it.
const overall = setTimeout(() => {
  console.error(`chaos: over ${TIMEOUT_S} s, giving up (seed ${SEED})`);
  void cleanup(stack, true).then(() => process.exit(2));
}, TIMEOUT_S * 1000);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => void cleanup(stack, true).then(() => process.exit(130)));
main(stack).then(
  async (passed) => {
    clearTimeout(overall);
    await cleanup(stack, !passed);
    process.exit(passed ? 0 : 1);
  },
  async (error) => {
    clearTimeout(overall);
    console.error(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)} (seed ${SEED})`);
    await cleanup(stack, true);
    process.exit(1);
  },
);
