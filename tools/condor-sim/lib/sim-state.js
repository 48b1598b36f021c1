'use strict';
// condor-sim daemon's shared state: configuration, the schedds' names, the queue and history
// (persisted in <home>/state.json), per-job timers, and fault selection. Every other daemon
// module (schedd, negotiator, startd, tool-handlers) reads and changes the pool through here.
const fs = require('node:fs');
const os = require('node:os');
const { simHome, files, loadConfig } = require('./paths');
const fmt = require('./format');

const home = simHome();
const F = files(home);
const cfg = loadConfig(home);
const scheddName = cfg.scheddName || os.hostname();
// More named schedds on the same pool (config `extraSchedds`): each has its own queue and
// history, reached with `-name <schedd>`; without -name the tools ask the first (local) one.
// Cluster ids are drawn from one counter, so ids never collide across schedds here (on a real
// pool they can: a job is only known by schedd and id together).
const schedds = [scheddName, ...(cfg.extraSchedds || [])];
const scheddOfJob = (j) => j.schedd || (j.sim && j.sim.schedd) || scheddName;
const scheddAddr = `<127.0.0.1:9618?addrs=127.0.0.1-9618&alias=${scheddName}&noUDP&sock=schedd_condor_sim>`;
const now = () => Math.floor(Date.now() / 1000);

function log(...args) {
  process.stdout.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
}

// ---------------------------------------------------------------- state + persistence
let state = { nextCluster: 1, jobs: [], history: [], faults: [], nextFaultId: 1 };
if (fs.existsSync(F.state)) state = { ...state, ...JSON.parse(fs.readFileSync(F.state, 'utf8')) };
/** id -> { ad, sim } ; Map order = submit order = FIFO order. */
const jobs = new Map(state.jobs.map((j) => [`${j.ad.ClusterId}.${j.ad.ProcId}`, j]));
const history = state.history; // oldest first; printed newest first
for (const f of cfg.faults || [])
  if (!state.faults.some((x) => x.fromConfig && x.configIndex === cfg.faults.indexOf(f))) {
    state.faults.push({ ...f, id: state.nextFaultId++, fromConfig: true, configIndex: cfg.faults.indexOf(f) });
  }
const runtime = new Map(); // id -> { child, timers: [] } (not persisted)

let saveTimer = null;
function saveNow() {
  clearTimeout(saveTimer);
  saveTimer = null;
  const data = JSON.stringify({
    nextCluster: state.nextCluster,
    jobs: [...jobs.values()],
    history,
    faults: state.faults,
    nextFaultId: state.nextFaultId,
  });
  const tmp = `${F.state}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, F.state);
}
// Coalesced: 2,000 submits must not rewrite the whole state 2,000 times.
function saveSoon() {
  if (!saveTimer) saveTimer = setTimeout(saveNow, 50);
}

function clearRuntime(id) {
  const rt = runtime.get(id);
  if (rt) for (const t of rt.timers) clearTimeout(t);
  runtime.delete(id);
}
function addTimer(id, ms, fn) {
  let rt = runtime.get(id);
  if (!rt) runtime.set(id, (rt = { timers: [] }));
  rt.timers.push(setTimeout(fn, ms));
}

// ---------------------------------------------------------------- faults
function faultMatches(f, job, host) {
  if (f.host && (!host || f.host !== host.ip)) return false;
  if (f.job && (!job || f.job !== `${job.ad.ClusterId}.${job.ad.ProcId}`)) return false;
  if (f.owner && (!job || f.owner !== job.ad.Owner)) return false;
  if (f.attr) {
    if (!job) return false;
    const eq = f.attr.indexOf('=');
    const v = fmt.lookup(job.ad, f.attr.slice(0, eq));
    if (v === undefined || String(v) !== f.attr.slice(eq + 1)) return false;
  }
  return true;
}
/** The first fault of `kind` that applies; consumes one use when it has a count. */
function takeFault(kind, job, host, consume = true) {
  const f = state.faults.find((x) => x.kind === kind && faultMatches(x, job, host));
  if (f && consume && typeof f.count === 'number') {
    f.count -= 1;
    if (f.count <= 0) state.faults = state.faults.filter((x) => x !== f);
    saveSoon();
  }
  return f;
}

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

module.exports = {
  home,
  F,
  cfg,
  scheddName,
  schedds,
  scheddOfJob,
  scheddAddr,
  now,
  log,
  state,
  jobs,
  history,
  runtime,
  saveNow,
  saveSoon,
  clearRuntime,
  addTimer,
  faultMatches,
  takeFault,
  pad,
};
