'use strict';
// condor-sim start|stop|status|fault …  (run `condor-sim help` for usage)
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { simHome, files, parseWorkerAddresses, DEFAULT_CONFIG } = require('./paths');
const { request } = require('./client');

const USAGE = `usage: condor-sim <command>   (home: $CONDOR_SIM_HOME, default <repo>/.condor-sim)
  start [--hosts N] [--slots N] [--static] [--delay-ms MS] [--first-host N] [--root-owner USER]
        [--schedd NAME] [--port-base P] [--no-submit-hint] [--worker-addresses A,B] [--create-owners]
        start the daemon (options are written to config.json; without options config.json is kept)
  run [same options as start]
                         run the daemon in the foreground (a container's command), log on stdout
  ping                   exit 0 when the daemon answers (a health check), 1 otherwise
  stop [--kill-jobs]     stop the daemon; running jobs keep running and are adopted on the next
                         start, unless --kill-jobs
  status                 hosts, slots, job counts and faults as JSON
  fault add <kind> [--host IP] [--job C.P] [--owner USER] [--attr Name=Value] [--count N]
                   [--after S] [--seconds S] [--reason TEXT] [--code N] [--subcode N] [--idle] [--no-reuse]
        kinds: never-schedule | reject | hang | kill (--after S) | evict [--after S] [--seconds IDLE] | hold [--after S | --idle]
               | q-fail | q-slow (--seconds S) | submit-slow (--seconds S: queued, answered late)
  fault list | fault clear [ID]
  env                    print the environment lines to use this sim (PATH, CONDOR_SIM_HOME)`;

function parseFlags(args) {
  const flags = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      if (['static', 'kill-jobs', 'idle', 'no-reuse', 'no-submit-hint', 'create-owners'].includes(key))
        flags[key] = true;
      else flags[key] = args[++i];
    } else rest.push(a);
  }
  return { flags, rest };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ping(socket) {
  try {
    return await request(socket, { control: 'ping' }, 2000);
  } catch {
    return undefined;
  }
}

/** Writes the start options into config.json (kept as is without options); throws when invalid. */
function writeConfig(home, flags) {
  const F = files(home);
  const cfg = fs.existsSync(F.config) ? JSON.parse(fs.readFileSync(F.config, 'utf8')) : {};
  const num = (k) => (flags[k] === undefined ? undefined : Number(flags[k]));
  const updates = {
    hosts: num('hosts'),
    slotsPerHost: num('slots'),
    slotType: flags.static ? 'static' : undefined,
    scheduleDelayMs: num('delay-ms'),
    firstHost: num('first-host'),
    rootOwner: flags['root-owner'],
    scheddName: flags.schedd,
    extraSchedds:
      flags['extra-schedds'] === undefined ? undefined : String(flags['extra-schedds']).split(',').filter(Boolean),
    portBase: num('port-base'),
    submitHint: flags['no-submit-hint'] ? false : undefined,
    workerAddresses:
      flags['worker-addresses'] === undefined ? undefined : parseWorkerAddresses(flags['worker-addresses']),
    createOwners: flags['create-owners'] ? true : undefined,
  };
  for (const [k, v] of Object.entries(updates)) if (v !== undefined) cfg[k] = v;
  fs.writeFileSync(F.config, `${JSON.stringify({ ...DEFAULT_CONFIG, ...cfg }, null, 2)}\n`);
}

async function start(home, flags) {
  const F = files(home);
  fs.mkdirSync(home, { recursive: true });
  if (await ping(F.socket)) {
    console.log(`condor-sim already running (home ${home})`);
    return 0;
  }
  writeConfig(home, flags);
  const logFd = fs.openSync(F.log, 'a');
  const child = spawn(process.execPath, [path.join(__dirname, 'daemon.js')], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, CONDOR_SIM_HOME: home },
  });
  child.unref();
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    const p = await ping(F.socket);
    if (p) {
      console.log(`condor-sim started (pid ${p.pid}, home ${home})`);
      return 0;
    }
    if (child.exitCode !== null) break;
  }
  console.error(`condor-sim failed to start; see ${F.log}`);
  return 1;
}

async function stop(home, flags) {
  const F = files(home);
  let pid;
  try {
    pid = Number(fs.readFileSync(F.pid, 'utf8'));
  } catch {
    /* none */
  }
  try {
    await request(F.socket, { control: 'stop', killJobs: Boolean(flags['kill-jobs']) }, 5000);
  } catch {
    /* not answering: fall through to the pid */
  }
  for (let i = 0; i < 50 && pid; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      console.log('condor-sim stopped');
      return 0;
    }
    await sleep(100);
  }
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  console.log('condor-sim stopped');
  return 0;
}

async function main(argv) {
  const home = simHome();
  const F = files(home);
  const { flags, rest } = parseFlags(argv);
  const cmd = rest[0];
  let code = 0;
  try {
    if (cmd === 'start') code = await start(home, flags);
    else if (cmd === 'stop') code = await stop(home, flags);
    else if (cmd === 'run') {
      fs.mkdirSync(home, { recursive: true });
      if (await ping(F.socket)) throw new Error(`condor-sim already running (home ${home})`);
      writeConfig(home, flags);
      process.env.CONDOR_SIM_HOME = home;
      // The daemon in this process: it serves until SIGTERM/SIGINT or a `stop`.
      require('./daemon');
      return;
    } else if (cmd === 'ping') {
      const p = await ping(F.socket);
      if (!p) console.error(`condor-sim is not running (home ${home})`);
      code = p ? 0 : 1;
    } else if (cmd === 'env') {
      console.log(
        `export CONDOR_SIM_HOME=${home}\nexport PATH=${path.join(__dirname, '..', 'bin')}:$PATH\nexport CONDORHUB_CONDOR_BIN=${path.join(__dirname, '..', 'bin')}`,
      );
    } else if (cmd === 'status' || cmd === 'fault') {
      let req;
      if (cmd === 'status') req = { control: 'status' };
      else if (rest[1] === 'add') {
        const fault = { kind: rest[2] };
        for (const k of ['host', 'job', 'owner', 'attr', 'reason']) if (flags[k] !== undefined) fault[k] = flags[k];
        for (const k of ['count', 'after', 'seconds', 'code', 'subcode'])
          if (flags[k] !== undefined) fault[k] = Number(flags[k]);
        if (flags.idle) fault.idle = true;
        if (flags['no-reuse']) fault.reuse = false;
        req = { control: 'fault-add', fault };
      } else if (rest[1] === 'list') req = { control: 'fault-list' };
      else if (rest[1] === 'clear') req = { control: 'fault-clear', id: rest[2] };
      else throw new Error(USAGE);
      const res = await request(F.socket, req, 10000).catch((e) => {
        throw new Error(`condor-sim is not running (home ${home}): ${e.message}`);
      });
      console.log(JSON.stringify(res, null, 2));
      code = res.ok ? 0 : 1;
    } else {
      console.log(USAGE);
      code = cmd === 'help' || cmd === undefined ? 0 : 2;
    }
  } catch (e) {
    console.error(e.message);
    code = 1;
  }
  process.exit(code);
}

module.exports = { main };
