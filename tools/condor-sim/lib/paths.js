'use strict';
const path = require('node:path');
const fs = require('node:fs');

/** The sim's home: $CONDOR_SIM_HOME, else <repo>/.condor-sim. */
function simHome() {
  return path.resolve(process.env.CONDOR_SIM_HOME || path.join(__dirname, '..', '..', '..', '.condor-sim'));
}

const files = (home) => ({
  socket: path.join(home, 'schedd.sock'),
  pid: path.join(home, 'daemon.pid'),
  state: path.join(home, 'state.json'),
  config: path.join(home, 'config.json'),
  log: path.join(home, 'daemon.log'),
  execute: path.join(home, 'execute'),
});

const DEFAULT_CONFIG = {
  // 127.0.0.<firstHost> … 127.0.0.<firstHost + hosts - 1>
  hosts: 3,
  firstHost: 2,
  // Names or addresses of the worker hosts instead (one host each; `hosts`/`firstHost` then
  // unused): the sim in its own container, where 127.0.0.x is unreachable from the others,
  // uses names that resolve to its address (docker-compose.yml). Also CONDOR_SIM_WORKER_ADDRESSES.
  workerAddresses: null,
  // Create a job's owner (useradd -m) when this machine has no such account, as a pool whose
  // accounts come from a directory service would have it; the daemon must run as root.
  createOwners: false,
  slotsPerHost: 4,
  // 'partitionable' (jobs get slot1_N@host) or 'static' (slotN@host)
  slotType: 'partitionable',
  memoryPerSlotMb: 4096,
  // FIFO negotiation: a job becomes eligible this long after it was queued.
  scheduleDelayMs: 1000,
  scheddName: null,
  // More schedds by name (`-name`), each with its own queue and history; same slots.
  extraSchedds: [],
  // Map root-submitted jobs to this account (HTCondor itself refuses root-owned jobs).
  rootOwner: null,
  // Print the >= 25.13.2 "To monitor your job(s)" hint on stderr after condor_submit.
  submitHint: true,
  // Each dynamic slot gets a fixed port range (CondorSimPortLow/High in its machine ad).
  portBase: 42000,
  portsPerSlot: 10,
  // Run jobs at this nice level. The sim's worker nodes share the submit host's CPUs; a
  // benchmark of the hub's own latency sets this so the "workers" behave as other machines.
  jobNice: 0,
  faults: [],
};

/** "a,b" (or an array) as a list of worker host names; throws with the reason when invalid. */
function parseWorkerAddresses(value) {
  const list = (Array.isArray(value) ? value : String(value).split(',')).map((a) => String(a).trim());
  if (!list.length || list.some((a) => a === ''))
    throw new Error(`worker addresses must be a comma-separated list of host names: "${value}"`);
  for (const a of list)
    if (!/^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252})$/.test(a))
      throw new Error(`worker address "${a}" is not a host name or address`);
  if (new Set(list).size !== list.length) throw new Error(`worker addresses repeat a name: "${value}"`);
  return list;
}

function loadConfig(home, env = process.env) {
  const f = files(home).config;
  let user = {};
  if (fs.existsSync(f)) user = JSON.parse(fs.readFileSync(f, 'utf8'));
  const cfg = { ...DEFAULT_CONFIG, ...user };
  if (env.CONDOR_SIM_WORKER_ADDRESSES) cfg.workerAddresses = env.CONDOR_SIM_WORKER_ADDRESSES;
  if (cfg.workerAddresses) cfg.workerAddresses = parseWorkerAddresses(cfg.workerAddresses);
  return cfg;
}

/** The worker hosts' names: workerAddresses, else 127.0.0.<firstHost> onwards. */
function workerHosts(cfg) {
  if (cfg.workerAddresses) return cfg.workerAddresses;
  return Array.from({ length: cfg.hosts }, (_, i) => `127.0.0.${cfg.firstHost + i}`);
}

module.exports = { simHome, files, loadConfig, parseWorkerAddresses, workerHosts, DEFAULT_CONFIG };
