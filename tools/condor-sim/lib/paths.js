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

function loadConfig(home) {
  const f = files(home).config;
  let user = {};
  if (fs.existsSync(f)) user = JSON.parse(fs.readFileSync(f, 'utf8'));
  return { ...DEFAULT_CONFIG, ...user };
}

module.exports = { simHome, files, loadConfig, DEFAULT_CONFIG };
