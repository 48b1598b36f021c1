'use strict';
// condor-sim daemon: schedd (queue, history, tool requests), negotiator (FIFO with a delay,
// honouring requirements) and startds (slots on loopback hosts, real job processes run as
// the owner). State lives in <home>/state.json and survives restarts; running jobs keep
// running across a restart and are adopted again by pid.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { simHome, files, loadConfig } = require('./paths');
const classad = require('./classad');
const fmt = require('./format');
const {
  parseSubmitDescription,
  parseArguments,
  parseEnvironment,
  joinNewStyle,
  expand,
  SubmitError,
} = require('./submit-file');

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

// ---------------------------------------------------------------- hosts and slots
const hosts = [];
for (let i = 0; i < cfg.hosts; i++) {
  const ip = `127.0.0.${cfg.firstHost + i}`;
  hosts.push({
    ip,
    index: i,
    cpus: cfg.slotsPerHost,
    memory: cfg.slotsPerHost * cfg.memoryPerSlotMb,
    slots: new Map(),
  });
}
const hostByIp = new Map(hosts.map((h) => [h.ip, h]));

function slotName(host, id) {
  return cfg.slotType === 'static' ? `slot${id}@${host.ip}` : `slot1_${id}@${host.ip}`;
}
function usage(host) {
  let cpus = 0;
  let memory = 0;
  for (const s of host.slots.values()) {
    cpus += s.cpus;
    memory += s.memory;
  }
  return { cpus, memory };
}
function portRange(host, id) {
  const low = cfg.portBase + host.index * 1000 + id * cfg.portsPerSlot;
  return { low, high: low + cfg.portsPerSlot - 1 };
}

/** The slot ad the job is matched against (and written to .machine.ad). */
function machineAd(host, id, cpus, memory) {
  const { low, high } = portRange(host, id);
  const ad = {
    MyType: 'Machine',
    Name: id ? slotName(host, id) : `slot1@${host.ip}`,
    Machine: host.ip,
    SlotID: cfg.slotType === 'static' ? id : 1,
    Arch: 'X86_64',
    OpSys: 'LINUX',
    Cpus: cpus,
    Memory: memory,
    Disk: 100000000,
    FileSystemDomain: host.ip,
    UidDomain: host.ip,
    StartdIpAddr: `<${host.ip}:9618?addrs=${host.ip}-9618&alias=${host.ip}&noUDP&sock=startd_condor_sim>`,
    HasFileTransfer: true,
    CondorSimPortLow: low,
    CondorSimPortHigh: high,
  };
  if (cfg.slotType !== 'static') {
    ad.SlotType = id ? 'Dynamic' : 'Partitionable';
    ad.PartitionableSlot = !id;
    if (id) ad.DynamicSlot = true;
  } else ad.SlotType = 'Static';
  return ad;
}

/** Finds room for the job on the host: the lowest free slot id, or undefined. */
function fit(host, job, preferId) {
  const reqCpus = job.ad.RequestCpus || 1;
  const reqMem = job.ad.RequestMemory || 1;
  const used = usage(host);
  let id;
  let cpus;
  let memory;
  if (cfg.slotType === 'static') {
    if (reqCpus > 1 || reqMem > cfg.memoryPerSlotMb) return undefined;
    cpus = 1;
    memory = cfg.memoryPerSlotMb;
  } else {
    if (host.slots.size >= cfg.slotsPerHost || used.cpus + reqCpus > host.cpus || used.memory + reqMem > host.memory)
      return undefined;
    cpus = reqCpus;
    memory = reqMem;
  }
  if (preferId && !host.slots.has(preferId)) id = preferId;
  else for (id = 1; host.slots.has(id); id++);
  if (cfg.slotType === 'static' && id > cfg.slotsPerHost) return undefined;
  // Requirements see what is left (partitionable) or the static slot.
  const target =
    cfg.slotType === 'static'
      ? machineAd(host, id, cpus, memory)
      : machineAd(host, 0, host.cpus - used.cpus, host.memory - used.memory);
  const req = job.ad.Requirements;
  const text = req && typeof req === 'object' ? req.expr : req === undefined ? 'true' : String(req);
  if (!classad.matches(text, job.ad, target)) return undefined;
  return { id, cpus, memory };
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

// ---------------------------------------------------------------- users
function lookupUser(name) {
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const p = line.split(':');
    if (p[0] === name) return { name, uid: Number(p[2]), gid: Number(p[3]), home: p[5] };
  }
  return undefined;
}

// ---------------------------------------------------------------- job event log
function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}
function writeEvent(job, code, text, body = []) {
  const file = job.ad.UserLog;
  if (!file) return;
  const d = new Date();
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const head = `${pad(code, 3)} (${pad(job.ad.ClusterId, 3)}.${pad(job.ad.ProcId, 3)}.000) ${date} ${text}\n`;
  try {
    const existed = fs.existsSync(file);
    fs.appendFileSync(file, `${head}${body.map((l) => `\t${l}\n`).join('')}...\n`);
    if (!existed && job.sim.uid !== undefined) fs.chownSync(file, job.sim.uid, job.sim.gid);
  } catch (e) {
    log('event log', file, e.message);
  }
}

// ---------------------------------------------------------------- job lifecycle
function setStatus(job, status) {
  job.ad.JobStatus = status;
  job.ad.EnteredCurrentStatus = now();
}

function toHistory(job) {
  const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
  if (!jobs.has(id)) return;
  clearRuntime(id);
  jobs.delete(id);
  if (job.ad.CompletionDate === undefined && job.ad.JobStatus === 4) job.ad.CompletionDate = now();
  history.push({ ad: job.ad, schedd: scheddOfJob(job) });
  saveSoon();
}

function clearRuntime(id) {
  const rt = runtime.get(id);
  if (rt) for (const t of rt.timers) clearTimeout(t);
  runtime.delete(id);
}

/** The running job leaves its slot: RemoteHost becomes LastRemoteHost (schedd.cpp). */
function vacate(job) {
  const s = job.sim;
  if (s.host) {
    const host = hostByIp.get(s.host);
    if (host && host.slots.get(s.slotId)?.jobId === `${job.ad.ClusterId}.${job.ad.ProcId}`) host.slots.delete(s.slotId);
  }
  if (job.ad.RemoteHost) job.ad.LastRemoteHost = job.ad.RemoteHost;
  delete job.ad.RemoteHost;
  delete job.ad.RemoteSlotID;
  delete job.ad.StartdIpAddr;
  const freed = s.host ? { host: hostByIp.get(s.host), id: s.slotId } : undefined;
  s.host = undefined;
  s.slotId = undefined;
  return freed;
}

function killGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}
/** SIGCONT (a hung job is stopped) + SIGTERM, then SIGKILL, like the starter's kill sequence. */
function terminate(job, hard) {
  const pid = job.sim.pid;
  if (!pid) return;
  killGroup(pid, 'SIGCONT');
  if (hard) {
    killGroup(pid, 'SIGKILL');
    return;
  }
  killGroup(pid, 'SIGTERM');
  setTimeout(() => killGroup(pid, 'SIGKILL'), 2000).unref();
}

function hold(job, reason, code, subcode) {
  const wasRunning = job.ad.JobStatus === 2;
  if (wasRunning) {
    terminate(job, false);
    job.sim.pid = undefined;
    vacate(job);
  }
  clearRuntime(`${job.ad.ClusterId}.${job.ad.ProcId}`);
  setStatus(job, 5);
  job.ad.HoldReason = reason;
  job.ad.HoldReasonCode = code;
  job.ad.HoldReasonSubCode = subcode;
  writeEvent(job, 12, 'Job was held.', [reason, `Code ${code} Subcode ${subcode}`]);
  saveSoon();
  if (wasRunning) negotiateSoon();
}

/** condor_rm or a policy: JobStatus 3; leaves the queue once its process is gone. */
function remove(job, reason, { hard = false, reuse = false } = {}) {
  setStatus(job, 3);
  job.ad.RemoveReason = reason;
  writeEvent(job, 9, 'Job was aborted.', [reason]);
  if (job.sim.pid) {
    terminate(job, hard);
    const freed = vacate(job);
    // The slot is handed on at once (claim reuse): the next job may get the same slot name.
    if (freed && reuse) startNextOn(freed.host, freed.id);
    else negotiateSoon();
    saveSoon();
    return;
  }
  vacate(job);
  toHistory(job);
}

function completed(job, exitCode, signal) {
  vacate(job);
  job.sim.pid = undefined;
  setStatus(job, 4);
  job.ad.CompletionDate = now();
  if (signal) {
    job.ad.ExitBySignal = true;
    job.ad.ExitSignal = signal;
    delete job.ad.ExitCode;
    writeEvent(job, 5, 'Job terminated.', [`(0) Abnormal termination (signal ${signal})`, '(0) No core file']);
  } else {
    job.ad.ExitBySignal = false;
    job.ad.ExitCode = exitCode;
    writeEvent(job, 5, 'Job terminated.', [`(1) Normal termination (return value ${exitCode})`]);
  }
  toHistory(job);
  negotiateSoon();
}

/**
 * Eviction (preemption, a vacated claim, a startd that went away): the job's process is stopped
 * as the starter does, the job goes back to idle (2 -> 1, LastRemoteHost kept) and is matched
 * again, possibly on another host, where it starts from scratch.
 */
function evict(job, idleMs) {
  terminate(job, false);
  job.sim.pid = undefined;
  clearRuntime(`${job.ad.ClusterId}.${job.ad.ProcId}`);
  vacate(job);
  setStatus(job, 1);
  // Matched again at a later negotiation cycle, not at once.
  job.sim.eligibleAt = Date.now() + idleMs;
  writeEvent(job, 4, 'Job was evicted.', ['(0) Job was not checkpointed.']);
  saveSoon();
  negotiateSoon(idleMs);
}

const SIGNALS = os.constants.signals;
function signalNumber(name) {
  return SIGNALS[name] || 9;
}

/** Called when the job's process group leader is gone (child exit or adopted pid vanished). */
function processGone(id, pid, code, signal, setupError) {
  const job = jobs.get(id);
  if (!job || job.sim.pid !== pid) {
    // Removed job whose process we were waiting for.
    if (job && job.ad.JobStatus === 3) toHistory(job);
    return;
  }
  job.sim.pid = undefined;
  if (job.ad.JobStatus === 3) {
    vacate(job);
    toHistory(job);
    return;
  }
  if (job.ad.JobStatus !== 2) return;
  if (setupError) {
    // "<code> <subcode> <message>" from the wrapper: the starter could not start the job.
    const m = /^(\d+) (\d+) (.*)$/s.exec(setupError.trim());
    const slot = job.ad.RemoteHost;
    vacate(job);
    hold(job, `Error from ${slot}: ${m ? m[3] : setupError.trim()}`, m ? Number(m[1]) : 6, m ? Number(m[2]) : 0);
    negotiateSoon();
    return;
  }
  let rc = null;
  try {
    rc = Number(fs.readFileSync(job.sim.statusFile, 'utf8').trim());
  } catch {
    /* no status: killed from outside */
  }
  if (rc !== null && Number.isInteger(rc)) {
    // sh reports death by signal N as 128+N.
    if (rc > 128 && rc < 128 + 65) completed(job, null, rc - 128);
    else completed(job, rc, null);
  } else if (signal) completed(job, null, signalNumber(signal));
  else completed(job, code ?? 0, null);
}

// Runs as the owner: sets up stdout/stderr and the initial dir, reports setup failures on fd 3
// as "<HoldReasonCode> <subcode> <text>", optionally freezes itself (hang fault) before the
// job starts, then runs the job and records its exit status for a restarted daemon.
const WRAPPER = `
status="$1"; iwd="$2"; out="$3"; err="$4"; hang="$5"; cgroup="$6"; shift 6
if [ -n "$cgroup" ]; then echo $$ >"$cgroup" 2>/dev/null; fi
cd "$iwd" 2>/dev/null || { echo "14 2 Failed to change to initial directory $iwd" >&3; exit 1; }
true >>"$out" 2>/dev/null || { echo "7 13 Failed to open '$out' as standard output: Permission denied (errno 13)" >&3; exit 1; }
true >>"$err" 2>/dev/null || { echo "7 13 Failed to open '$err' as standard error: Permission denied (errno 13)" >&3; exit 1; }
[ -e "$1" ] || { echo "6 2 Failed to execute '$1': No such file or directory (errno 2)" >&3; exit 1; }
[ -x "$1" ] || { echo "6 13 Failed to execute '$1': Permission denied (errno 13)" >&3; exit 1; }
if [ "$out" = "$err" ]; then exec >"$out" 2>&1; else exec >"$out" 2>"$err"; fi
exec </dev/null 3>&-
if [ "$hang" = 1 ]; then kill -STOP $$; fi
"$@"
rc=$?
echo $rc >"$status"
exit $rc
`;

let scratchSeq = 0;
function start(job, host, slot) {
  const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
  const owner = lookupUser(job.ad.Owner);
  const name = slotName(host, slot.id);
  if (!owner) {
    hold(job, `Error from ${name}: Failed to look up user ${job.ad.Owner}`, 6, 0);
    return;
  }
  host.slots.set(slot.id, { jobId: id, cpus: slot.cpus, memory: slot.memory });
  const scratch = path.join(
    F.execute,
    host.ip,
    `dir_${job.ad.ClusterId}_${job.ad.ProcId}_${Date.now()}_${scratchSeq++}`,
  );
  fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
  fs.chownSync(scratch, owner.uid, owner.gid);
  const mad = machineAd(host, slot.id, slot.cpus, slot.memory);
  const t = now();
  Object.assign(job.ad, {
    RemoteHost: name,
    RemoteSlotID: mad.SlotID,
    StartdIpAddr: mad.StartdIpAddr,
    JobCurrentStartDate: t,
    NumJobStarts: (job.ad.NumJobStarts || 0) + 1,
    LastMatchTime: t,
  });
  if (job.ad.JobStartDate === undefined) job.ad.JobStartDate = t;
  setStatus(job, 2);
  const jobAdFile = path.join(scratch, '.job.ad');
  const machineAdFile = path.join(scratch, '.machine.ad');
  fs.writeFileSync(jobAdFile, fmt.longAd(job.ad));
  fs.writeFileSync(machineAdFile, fmt.longAd(mad));
  for (const f of [jobAdFile, machineAdFile]) fs.chownSync(f, owner.uid, owner.gid);
  const statusFile = path.join(scratch, '.condor_sim_exit');
  const slotShort = name.slice(0, name.indexOf('@'));
  const threads = String(slot.cpus);
  const env = {
    ...(job.sim.env || {}),
    _CONDOR_SCRATCH_DIR: scratch,
    _CONDOR_SLOT: slotShort,
    _CONDOR_JOB_AD: jobAdFile,
    _CONDOR_MACHINE_AD: machineAdFile,
    _CONDOR_JOB_IWD: job.ad.Iwd,
    _CONDOR_SIM_PORT_RANGE: `${mad.CondorSimPortLow}-${mad.CondorSimPortHigh}`,
    BATCH_SYSTEM: 'HTCondor',
    TMPDIR: scratch,
    TMP: scratch,
    TEMP: scratch,
    OMP_NUM_THREADS: threads,
    OPENBLAS_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
  };
  const hang = takeFault('hang', job, host) ? '1' : '0';
  const args = job.sim.args || [];
  const wrapper = [
    '-c',
    WRAPPER,
    'condor_exec',
    statusFile,
    job.ad.Iwd,
    job.ad.Out,
    job.ad.Err,
    hang,
    // The job moves itself in before it starts anything, so all its processes are in there.
    cfg.jobCpuCgroup ? path.join(cfg.jobCpuCgroup, 'cgroup.procs') : '',
    job.ad.Cmd,
    ...args,
  ];
  const nice = Number(cfg.jobNice) || 0;
  const child = spawn(
    nice ? '/usr/bin/nice' : '/bin/sh',
    nice ? ['-n', String(nice), '/bin/sh', ...wrapper] : wrapper,
    {
      uid: owner.uid,
      gid: owner.gid,
      env,
      cwd: scratch,
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  // The job is its own session, so with the kernel's autogroup scheduling its nice value only
  // ranks it against itself: set the session group's nice too.
  if (nice && child.pid) {
    try {
      fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(nice));
    } catch {
      // no autogroup on this kernel: the nice level alone applies
    }
  }
  Object.assign(job.sim, {
    pid: child.pid,
    host: host.ip,
    slotId: slot.id,
    statusFile,
    scratch,
    uid: owner.uid,
    gid: owner.gid,
  });
  let setupError = '';
  child.stdio[3].setEncoding('utf8');
  child.stdio[3].on('data', (d) => (setupError += d));
  child.stdio[3].on('error', () => undefined);
  child.on('error', (e) => {
    setupError = `6 0 Failed to execute the job wrapper: ${e.message}`;
  });
  const pid = child.pid;
  child.on('close', (code, signal) => processGone(id, pid, code, signal, setupError));
  writeEvent(job, 1, `Job executing on host: ${mad.StartdIpAddr}`, [
    `SlotName: ${name}`,
    `Cpus = ${slot.cpus}`,
    `Memory = ${slot.memory}`,
  ]);
  armRunningFaults(job, host);
  saveSoon();
}

function addTimer(id, ms, fn) {
  let rt = runtime.get(id);
  if (!rt) runtime.set(id, (rt = { timers: [] }));
  rt.timers.push(setTimeout(fn, ms));
}

/** kill-after-N-s and hold faults, armed when the job starts (or is adopted after a restart). */
function armRunningFaults(job, host) {
  const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
  const elapsed = (Date.now() / 1000 - (job.ad.JobCurrentStartDate || now())) * 1000;
  const kill = takeFault('kill', job, host);
  if (kill) {
    const after = Number(kill.after || 0);
    addTimer(id, Math.max(0, after * 1000 - elapsed), () => {
      const j = jobs.get(id);
      if (!j || j.ad.JobStatus !== 2) return;
      const reason =
        kill.reason ||
        `The system macro SYSTEM_PERIODIC_REMOVE expression '(JobStatus == 2) && (time() - JobCurrentStartDate > ${after})' evaluated to TRUE`;
      remove(j, reason, { hard: true, reuse: kill.reuse !== false });
    });
  }
  const ev = takeFault('evict', job, host);
  if (ev) armEvict(job, ev, elapsed);
  const h = state.faults.find((x) => x.kind === 'hold' && !x.idle && faultMatches(x, job, host));
  if (h) {
    takeFault('hold', job, host);
    addTimer(id, Math.max(0, Number(h.after || 0) * 1000 - elapsed), () => {
      const j = jobs.get(id);
      if (!j || j.ad.JobStatus !== 2) return;
      hold(j, h.reason || 'Held by condor-sim fault injection', Number(h.code ?? 3), Number(h.subcode ?? 0));
    });
  }
}

function armEvict(job, fault, elapsedMs) {
  const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
  const start = job.ad.JobCurrentStartDate;
  addTimer(id, Math.max(0, Number(fault.after || 0) * 1000 - elapsedMs), () => {
    const j = jobs.get(id);
    if (j && j.ad.JobStatus === 2 && j.ad.JobCurrentStartDate === start)
      evict(j, fault.seconds === undefined ? 2000 : Number(fault.seconds) * 1000);
  });
}

/** Claim reuse: the next idle job that fits this host starts in the freed slot right now. */
function startNextOn(host, slotId) {
  for (const job of jobs.values()) {
    if (job.ad.JobStatus !== 1) continue;
    if (takeFault('never-schedule', job, host, false)) continue;
    const slot = fit(host, job, slotId);
    if (slot) {
      start(job, host, slot);
      break;
    }
  }
  negotiateSoon();
}

let negotiateTimer = null;
let negotiateAt = Infinity;
function negotiateSoon(delayMs = 0) {
  const at = Date.now() + delayMs;
  if (negotiateTimer && negotiateAt <= at) return;
  clearTimeout(negotiateTimer);
  negotiateAt = at;
  negotiateTimer = setTimeout(negotiate, delayMs);
}

/** FIFO: jobs in submit order, each to the first host (in address order) that fits. */
function negotiate() {
  negotiateTimer = null;
  negotiateAt = Infinity;
  const t = Date.now();
  let nextEligible = Infinity;
  let rejected = false;
  for (const job of jobs.values()) {
    if (job.ad.JobStatus !== 1) continue;
    if (job.sim.eligibleAt > t) {
      nextEligible = Math.min(nextEligible, job.sim.eligibleAt);
      continue;
    }
    if (takeFault('never-schedule', job, undefined, false)) continue;
    let started = false;
    for (const host of hosts) {
      if (takeFault('never-schedule', job, host, false)) continue;
      const slot = fit(host, job);
      if (slot) {
        start(job, host, slot);
        started = true;
        break;
      }
    }
    // The negotiator writes why it passed the job over into the job ad (matchmaker.cpp
    // "no match found" when no slot's Requirements/resources fit this cycle).
    if (!started && job.ad.LastRejMatchReason !== 'no match found') {
      job.ad.LastRejMatchReason = 'no match found';
      job.ad.LastRejMatchTime = now();
      rejected = true;
    }
  }
  if (rejected) saveSoon();
  if (nextEligible < Infinity) negotiateSoon(nextEligible - t);
}

// ---------------------------------------------------------------- restart: adopt running jobs
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
function adopt() {
  for (const [id, job] of jobs) {
    const s = job.sim;
    if (job.ad.JobStatus === 2 || (job.ad.JobStatus === 3 && s.pid)) {
      const host = s.host && hostByIp.get(s.host);
      if (host && s.slotId)
        host.slots.set(s.slotId, { jobId: id, cpus: job.ad.RequestCpus || 1, memory: job.ad.RequestMemory || 1 });
      if (s.pid && alive(s.pid)) {
        const pid = s.pid;
        const poll = setInterval(() => {
          if (!alive(pid)) {
            clearInterval(poll);
            processGone(id, pid, null, null, '');
          }
        }, 250);
        if (job.ad.JobStatus === 2 && host) armRunningFaults(job, host);
      } else if (job.ad.JobStatus === 2 && s.statusFile && fs.existsSync(s.statusFile)) {
        processGone(id, s.pid, null, null, '');
      } else if (job.ad.JobStatus === 2) {
        // Lost while we were down: evicted, back to idle (2 -> 1, LastRemoteHost kept).
        s.pid = undefined;
        vacate(job);
        setStatus(job, 1);
        writeEvent(job, 4, 'Job was evicted.', ['(0) Job was not checkpointed.']);
      } else {
        s.pid = undefined;
        vacate(job);
        toHistory(job);
      }
    } else if (job.ad.JobStatus === 3) toHistory(job);
  }
}

// ---------------------------------------------------------------- tools
function out(stdout = '', stderr = '', exit = 0) {
  return { stdout, stderr, exit };
}

/** Option prefix matching as HTCondor tools do it (`-const` for `-constraint`). */
function isOpt(arg, name, min = 2) {
  if (!arg.startsWith('-')) return false;
  const a = arg.replace(/^--?/, '').toLowerCase();
  return a.length >= Math.min(min, name.length) && name.startsWith(a);
}

function parseMemoryMb(v) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$/i.exec(String(v));
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toUpperCase();
  return Math.ceil(unit === 'K' ? n / 1024 : unit === 'G' ? n * 1024 : unit === 'T' ? n * 1024 * 1024 : n);
}

function getenvMatch(list, env) {
  const v = String(list).trim();
  if (/^(true|\*)$/i.test(v)) return { ...env };
  if (/^false$/i.test(v) || !v) return {};
  const pats = v.split(/[,; ]+/).filter(Boolean);
  const res = {};
  for (const [k, val] of Object.entries(env)) {
    let take = false;
    for (const p of pats) {
      const neg = p.startsWith('!');
      const re = new RegExp(
        `^${(neg ? p.slice(1) : p).replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`,
        'i',
      );
      if (re.test(k)) take = !neg;
    }
    if (take) res[k] = val;
  }
  return res;
}

function condorSubmit(req, late = { ms: 0 }) {
  const argv = req.argv;
  let terse = false;
  let schedd = scheddName;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-terse') terse = true;
    else if (a === '-name') {
      schedd = argv[++i];
      if (!schedds.includes(schedd)) return out('', `\nERROR: Can't find address of schedd ${argv[i]}\n`, 1);
    } else if (a === '-pool') i++;
    else if (a === '-' || !a.startsWith('-')) continue;
    else return out('', `\nERROR: Unknown option ${a}\n`, 1);
  }
  const verbose = req.dashFile && !terse;
  const header = terse || verbose ? '' : 'Submitting job(s)';
  let owner = req.user;
  if (req.uid === 0) {
    if (!cfg.rootOwner) {
      return out(
        header,
        '\nERROR: Failed to commit job submission into the queue.\nERROR: Submitting jobs as user/owner "root" is not allowed on this pool (condor-sim: set "rootOwner" in config.json to map root to an account)\n',
        1,
      );
    }
    owner = cfg.rootOwner;
  }
  let parsed;
  try {
    parsed = parseSubmitDescription(req.stdin || '', req.source || '(stdin)');
  } catch (e) {
    if (e instanceof SubmitError) return out('', e.stderr, 1);
    throw e;
  }
  const cluster = state.nextCluster;
  const env = req.env || {};
  const built = [];
  try {
    parsed.procs.forEach((p, procId) => {
      const vars = new Map(p.vars);
      for (const k of ['cluster', 'clusterid']) vars.set(k, String(cluster));
      for (const k of ['process', 'procid']) vars.set(k, String(procId));
      vars.set('jobid', `${cluster}.${procId}`);
      vars.set('submit_file', req.source === '(stdin)' ? '' : req.source);
      const get = (...keys) => {
        for (const k of keys) if (vars.has(k)) return expand(vars.get(k), vars, env);
        return undefined;
      };
      const universe = get('universe');
      if (universe && !/^(vanilla|5)$/i.test(universe))
        throw new SubmitError(`\nERROR: condor-sim supports only the vanilla universe, not ${universe}\n`);
      const exe = get('executable');
      if (!exe) throw new SubmitError("\nERROR: No 'executable' parameter was provided\n");
      const cwd = req.cwd || '/';
      const iwd = path.resolve(cwd, get('initialdir', 'initial_dir', 'iwd') || cwd);
      const cmd = path.resolve(cwd, exe);
      if (!fs.existsSync(cmd))
        throw new SubmitError(`\nERROR: Can't access executable file ${cmd}: No such file or directory\n`);
      const argText = get('arguments', 'args');
      let args = [];
      try {
        if (argText) args = parseArguments(argText).list;
      } catch (e) {
        throw new SubmitError(`\nERROR: ${e.message}\n`);
      }
      let jobEnv = {};
      const getenv = get('getenv');
      if (getenv !== undefined) jobEnv = getenvMatch(getenv, env);
      const envText = get('environment', 'env');
      try {
        if (envText) jobEnv = { ...jobEnv, ...parseEnvironment(envText) };
      } catch (e) {
        throw new SubmitError(`\nERROR: ${e.message}\n`);
      }
      const rel = (v, dflt) => (v ? path.resolve(iwd, v) : dflt);
      const reqMem = get('request_memory', 'requestmemory');
      const memory = reqMem === undefined ? 128 : parseMemoryMb(reqMem);
      if (memory === undefined) throw new SubmitError(`\nERROR: request_memory = ${reqMem} is not a valid quantity\n`);
      const cpus = Number(get('request_cpus', 'requestcpus') ?? 1);
      if (!Number.isInteger(cpus) || cpus < 1)
        throw new SubmitError(`\nERROR: request_cpus = ${get('request_cpus')} is not a positive integer\n`);
      const userReq = get('requirements');
      const standard =
        '(TARGET.Arch == "X86_64") && (TARGET.OpSys == "LINUX") && (TARGET.Disk >= RequestDisk) && (TARGET.Memory >= RequestMemory) && (TARGET.Cpus >= RequestCpus)';
      if (userReq) {
        try {
          classad.parse(userReq);
        } catch {
          throw new SubmitError(`\nERROR: Parse error in expression: \n\tRequirements = ${userReq}\n\t`);
        }
      }
      const t = now();
      const ad = {
        MyType: 'Job',
        TargetType: 'Machine',
        ClusterId: cluster,
        ProcId: procId,
        Owner: owner,
        User: `${owner}@${schedd}`,
        QDate: t,
        EnteredCurrentStatus: t,
        JobStatus: 1,
        JobUniverse: 5,
        JobPrio: 0,
        Cmd: cmd,
        Iwd: iwd,
        In: '/dev/null',
        Out: rel(get('output'), '/dev/null'),
        Err: rel(get('error'), '/dev/null'),
        RequestCpus: cpus,
        RequestMemory: memory,
        RequestDisk: Number(get('request_disk', 'requestdisk') ?? 1024) || 1024,
        Requirements: { expr: userReq ? `(${userReq}) && ${standard}` : standard },
        NumJobStarts: 0,
        GlobalJobId: `${schedd}#${cluster}.${procId}#${t}`,
      };
      if (args.length) ad.Arguments = joinNewStyle(args);
      if (Object.keys(jobEnv).length) {
        ad.Environment = Object.entries(jobEnv)
          .map(([k, v]) => `${k}=${/[\s']/.test(v) || v === '' ? `'${v.replaceAll("'", "''")}'` : v}`)
          .join(' ');
      }
      const logFile = get('log');
      if (logFile) ad.UserLog = rel(logFile);
      const batch = get('batch_name');
      if (batch) ad.JobBatchName = batch;
      for (const [name, raw] of p.attrs) {
        const text = expand(raw, vars, env);
        try {
          const v = text.trim() === '' ? null : classad.toAdValue(text);
          if (v !== null) ad[name] = v;
        } catch {
          throw new SubmitError(`\nERROR: Parse error in expression: \n\t${name} = ${text}\n\t`);
        }
      }
      const holdOnSubmit = get('hold');
      const job = { ad, sim: { args, env: jobEnv, eligibleAt: Date.now() + cfg.scheduleDelayMs, schedd } };
      if (holdOnSubmit && /^true$/i.test(holdOnSubmit)) {
        ad.JobStatus = 5;
        ad.HoldReason = "submitted on hold at user's request";
        ad.HoldReasonCode = 15;
        ad.HoldReasonSubCode = 0;
      }
      built.push(job);
    });
  } catch (e) {
    if (e instanceof SubmitError) return out(header, e.stderr, 1);
    throw e;
  }
  if (!built.length)
    return out('', `\nWARNING: "${req.source || '(stdin)'}" has only empty "queue" commands -- no jobs queued\n`, 0);
  state.nextCluster += 1;
  for (const job of built) {
    const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
    jobs.set(id, job);
    writeEvent(job, 0, `Job submitted from host: ${scheddAddr}`);
    // Queued, but the answer is late: a busy schedd whose client may give up first.
    const slow = takeFault('submit-slow', job, undefined);
    if (slow) late.ms = Math.max(late.ms, Number(slow.seconds) * 1000);
    const rej = takeFault('reject', job, undefined);
    if (rej) {
      remove(
        job,
        rej.reason || "The system macro SYSTEM_PERIODIC_REMOVE expression 'CondorSimReject =?= true' evaluated to TRUE",
      );
      continue;
    }
    const h = state.faults.find((x) => x.kind === 'hold' && x.idle && faultMatches(x, job, undefined));
    if (h) {
      takeFault('hold', job, undefined);
      hold(job, h.reason || 'Held by condor-sim fault injection', Number(h.code ?? 3), Number(h.subcode ?? 0));
    }
  }
  saveSoon();
  negotiateSoon(cfg.scheduleDelayMs);
  const last = built.length - 1;
  const hint = cfg.submitHint ? `To monitor your job(s), run: condor_watch_q -clusters ${cluster}\n` : '';
  if (terse) return out(`${cluster}.0 - ${cluster}.${last}\n`, '', 0);
  if (verbose)
    return out(built.map((j) => `\n** Proc ${cluster}.${j.ad.ProcId}:\n${fmt.longAd(j.ad)}`).join(''), '', 0);
  return out(
    `${header}${'.'.repeat(built.length)}\n${built.length} job(s) submitted to cluster ${cluster}.\n`,
    hint,
    0,
  );
}

/** ids / owners / -constraint as condor_q and condor_history read them: (ANDs) && (ORs). */

/**
 * The options condor_q and condor_status share for choosing and printing ads (-constraint,
 * -json, -af[:flags], -attributes), set on `sel`. The index of the option's last word, or
 * undefined when argv[i] is none of them.
 */
function projectionOption(argv, i, sel) {
  const a = argv[i];
  if (isOpt(a, 'constraint', 5)) sel.constraint = argv[++i];
  else if (isOpt(a, 'json', 2) && a.length <= 5) sel.json = true;
  else if (/^-(af|autoformat)(:.*)?$/i.test(a)) {
    sel.af = { flags: a.split(':')[1] || '', attrs: [] };
    while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) sel.af.attrs.push(argv[++i]);
  } else if (isOpt(a, 'attributes', 4))
    sel.attrs = String(argv[++i] || '')
      .split(/[ ,]+/)
      .filter(Boolean);
  else return undefined;
  return i;
}
function selection(argv, tool) {
  const sel = {
    ors: [],
    constraint: null,
    json: false,
    af: null,
    attrs: null,
    limit: Infinity,
    allusers: false,
    long: false,
    jsonl: false,
    error: null,
    nobatch: false,
    forwards: false,
    schedd: scheddName,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const projected = projectionOption(argv, i, sel);
    if (projected !== undefined) i = projected;
    else if (a === '-jsonl') sel.jsonl = true;
    else if (isOpt(a, 'limit', 3) || isOpt(a, 'match', 3)) sel.limit = Number(argv[++i]);
    else if (isOpt(a, 'allusers', 4)) sel.allusers = true;
    else if (a === '-l' || isOpt(a, 'long', 2)) sel.long = true;
    else if (isOpt(a, 'nobatch', 3)) sel.nobatch = true;
    else if (isOpt(a, 'batch', 3) || isOpt(a, 'backwards', 3) || isOpt(a, 'totals', 3)) continue;
    else if (isOpt(a, 'forwards', 3)) sel.forwards = true;
    else if (a === '-name') {
      sel.schedd = argv[++i];
      if (!schedds.includes(sel.schedd)) sel.unknownSchedd = sel.schedd;
    } else if (a === '-pool') sel.pool = argv[++i];
    else if (a.startsWith('-')) sel.error = out('', `Error: unrecognized argument ${a}\n`, 1);
    else if (/^\d+\.\d+$/.test(a)) {
      const [c, p] = a.split('.').map(Number);
      sel.ors.push((ad) => ad.ClusterId === c && ad.ProcId === p);
    } else if (/^\d+$/.test(a)) {
      const c = Number(a);
      sel.ors.push((ad) => ad.ClusterId === c);
    } else sel.ors.push((ad) => ad.Owner === a);
    if (sel.error) return sel;
  }
  // As the real tools word it once the collector has no ad for the name (queue.cpp,
  // history.cpp); checked after the whole command line, as they locate the schedd last.
  if (sel.unknownSchedd !== undefined) {
    sel.error =
      tool === 'condor_q'
        ? out('', 'Error: Collector has no record of schedd/submitter\n', 1)
        : out('', `Unable to locate remote schedd (name=${sel.unknownSchedd}, pool=${sel.pool || ''}).\n`, 1);
    return sel;
  }
  if (sel.constraint !== null) {
    try {
      classad.parse(sel.constraint);
    } catch {
      sel.error = out(
        '',
        tool === 'condor_q'
          ? `\n-- Parse error in constraint expression "${sel.constraint}"\n`
          : `Error: Invalid constraint (${sel.constraint})\n`,
        1,
      );
    }
  }
  return sel;
}

function selected(sel, ad, user) {
  if (sel.constraint !== null && !classad.matches(sel.constraint, ad, {})) return false;
  if (sel.ors.length) return sel.ors.some((f) => f(ad));
  // CONDOR_Q_ONLY_MY_JOBS: without ids, owners or -allusers only the caller's jobs.
  return sel.allusers || ad.Owner === user;
}

function projectionOf(sel) {
  if (!sel.attrs) return null;
  return [...new Set(['ClusterId', 'ProcId', ...sel.attrs])].filter((a) => sel.attrs.includes(a) || sel.json);
}

function printAds(sel, ads, kind) {
  if (sel.af) return fmt.autoformat(ads, sel.af.attrs, sel.af.flags);
  const proj = sel.attrs;
  if (sel.json) return kind === 'history' ? fmt.condorHistoryJson(ads, proj) : fmt.condorQJson(ads, proj);
  if (sel.jsonl) return ads.map((ad) => `${fmt.jsonAd(ad, proj).replace(/\n\s*/g, '')}\n`).join('');
  if (sel.long) return ads.map((ad) => `${fmt.longAd(ad, proj)}\n`).join('');
  return null;
}

const ST = { 1: 'I', 2: 'R', 3: 'X', 4: 'C', 5: 'H', 6: '>', 7: 'S' };
function mmdd(t) {
  const d = new Date(t * 1000);
  return `${d.getMonth() + 1}/${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function runTime(ad) {
  let s = ad.JobStatus === 2 && ad.JobCurrentStartDate ? now() - ad.JobCurrentStartDate : 0;
  const d = Math.floor(s / 86400);
  s %= 86400;
  return `${d}+${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
/** Human-readable condor_q (-nobatch table or batch summary) with its totals lines. */
function plainQueue(ads, sel, user) {
  const d = new Date();
  let s = `\n\n-- Schedd: ${sel.schedd} : ${scheddAddr.slice(0, 20)}... @ ${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}\n`;
  if (sel.nobatch) {
    s += ' ID      OWNER            SUBMITTED     RUN_TIME ST PRI SIZE CMD\n';
    for (const ad of ads) {
      const id = `${ad.ClusterId}.${ad.ProcId}`;
      s += ` ${id.padEnd(7)} ${String(ad.Owner).padEnd(14)} ${mmdd(ad.QDate).padStart(11)} ${runTime(ad).padStart(12)} ${ST[ad.JobStatus] || '?'}  ${ad.JobPrio}    0.0 ${path.basename(ad.Cmd)}${ad.Arguments ? ` ${ad.Arguments}` : ''}\n`;
    }
  } else {
    s += 'OWNER  BATCH_NAME    SUBMITTED   DONE   RUN    IDLE  TOTAL JOB_IDS\n';
    const groups = new Map();
    for (const ad of ads) {
      const key = `${ad.Owner}\0${ad.JobBatchName || `ID: ${ad.ClusterId}`}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(ad);
    }
    for (const [key, g] of groups) {
      const [owner, batch] = key.split('\0');
      const count = (st) => g.filter((a) => a.JobStatus === st).length || '_';
      const ids = g.map((a) => `${a.ClusterId}.${a.ProcId}`);
      s += `${owner.padEnd(6)} ${batch.padEnd(12)} ${mmdd(g[0].QDate).padStart(11)} ${String('_').padStart(6)} ${String(count(2)).padStart(6)} ${String(count(1)).padStart(6)} ${String(g.length).padStart(6)} ${ids.length > 1 ? `${ids[0]} ... ${ids[ids.length - 1]}` : ids[0]}\n`;
    }
  }
  const tot = (list) => {
    const c = (st) => list.filter((a) => a.JobStatus === st).length;
    return `${list.length} jobs; ${c(4)} completed, ${c(3)} removed, ${c(1)} idle, ${c(2)} running, ${c(5)} held, ${c(7)} suspended`;
  };
  const all = [...jobs.values()].filter((j) => scheddOfJob(j) === sel.schedd).map((j) => j.ad);
  s += `\nTotal for query: ${tot(ads)} \n`;
  s += `Total for ${user}: ${tot(all.filter((a) => a.Owner === user))} \n`;
  s += `Total for all users: ${tot(all)}\n\n`;
  return s;
}

function condorQ(req) {
  const sel = selection(req.argv, 'condor_q');
  if (sel.error) return sel.error;
  const f = takeFault('q-fail', null, undefined);
  if (f)
    return out(
      '',
      `\n-- Failed to fetch ads from: ${scheddAddr} : ${scheddName}\nSECMAN:2007:Failed to end classad message.\n`,
      1,
    );
  const ads = [];
  for (const job of jobs.values()) {
    if (ads.length >= sel.limit) break;
    if (scheddOfJob(job) === sel.schedd && selected(sel, job.ad, req.user)) ads.push(job.ad);
  }
  const text = printAds(sel, ads, 'queue');
  return out(text === null ? plainQueue(ads, sel, req.user) : text, '', 0);
}

/**
 * The slot ads the collector holds: each partitionable slot with what is left of its host
 * (Unclaimed/Idle), each dynamic or static slot with its job (Claimed/Busy), free static slots.
 */
function slotAds() {
  const ads = [];
  for (const host of hosts) {
    if (cfg.slotType === 'static') {
      for (let id = 1; id <= cfg.slotsPerHost; id++) {
        const s = host.slots.get(id);
        ads.push(slotState(machineAd(host, id, 1, cfg.memoryPerSlotMb), s));
      }
    } else {
      const used = usage(host);
      ads.push(slotState(machineAd(host, 0, host.cpus - used.cpus, host.memory - used.memory), undefined));
      for (const [id, s] of [...host.slots.entries()].sort((a, b) => a[0] - b[0]))
        ads.push(slotState(machineAd(host, id, s.cpus, s.memory), s));
    }
  }
  return ads;
}
function slotState(ad, slot) {
  ad.State = slot ? 'Claimed' : 'Unclaimed';
  ad.Activity = slot ? 'Busy' : 'Idle';
  if (slot) ad.JobId = slot.jobId;
  return ad;
}

/** condor_status [-constraint X] [-json | -af[:flags] attrs | -l] [-attributes a,b] [-pool P]. */
function condorStatus(req) {
  const sel = { constraint: null, json: false, af: null, attrs: null, long: false };
  const argv = req.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const projected = projectionOption(argv, i, sel);
    if (projected !== undefined) i = projected;
    else if (a === '-l' || isOpt(a, 'long', 2)) sel.long = true;
    else if (a === '-pool') i++;
    // condor_status's own words for an unknown option (condor_status.cpp), exit 1.
    else return out('', `Error: unknown option ${a}\n`, 1);
  }
  if (sel.constraint !== null) {
    try {
      classad.parse(sel.constraint);
    } catch {
      return out('', `Error:  Parse error of: ${sel.constraint}\n`, 1);
    }
  }
  const ads = slotAds().filter((ad) => sel.constraint === null || classad.matches(sel.constraint, ad, {}));
  if (sel.af) return out(fmt.autoformat(ads, sel.af.attrs, sel.af.flags), '', 0);
  if (sel.json) return out(fmt.condorQJson(ads, sel.attrs), '', 0);
  if (sel.long) return out(ads.map((ad) => `${fmt.longAd(ad, sel.attrs)}\n`).join(''), '', 0);
  // The default table (approximate, as condor_q's: nobody parses it).
  let s = '\nName                           OpSys      Arch   State     Activity Cpus Memory\n\n';
  for (const ad of ads)
    s += `${ad.Name.padEnd(30)} ${ad.OpSys.padEnd(10)} ${ad.Arch.padEnd(6)} ${ad.State.padEnd(9)} ${ad.Activity.padEnd(8)} ${String(ad.Cpus).padStart(4)} ${String(ad.Memory).padStart(6)}\n`;
  return out(s, '', 0);
}

function condorHistory(req) {
  const sel = selection(req.argv, 'condor_history');
  if (sel.error) return sel.error;
  const ads = [];
  const order = sel.forwards ? history : [...history].reverse();
  for (const h of order) {
    if (ads.length >= sel.limit) break;
    if (scheddOfJob(h) === sel.schedd && selected({ ...sel, allusers: true }, h.ad, req.user)) ads.push(h.ad);
  }
  const text = printAds(sel, ads, 'history');
  if (text !== null) return out(text, '', 0);
  let s = ' ID     OWNER          SUBMITTED   RUN_TIME     ST COMPLETED   CMD\n';
  for (const ad of ads) {
    s += ` ${`${ad.ClusterId}.${ad.ProcId}`.padEnd(6)} ${String(ad.Owner).padEnd(14)} ${mmdd(ad.QDate)} ${runTime(ad).padStart(12)} ${ST[ad.JobStatus]}  ${ad.CompletionDate ? mmdd(ad.CompletionDate) : '      ???'} ${ad.Cmd}\n`;
  }
  return out(s, '', 0);
}

function condorRm(req) {
  const argv = req.argv;
  let reason = 'via condor_rm';
  const targets = [];
  let constraint = null;
  let all = false;
  let forcex = false;
  let schedd = scheddName;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-reason') reason = argv[++i];
    else if (isOpt(a, 'constraint', 5)) constraint = argv[++i];
    else if (a === '-all') all = true;
    else if (a === '-forcex') forcex = true;
    else if (a === '-name') {
      schedd = argv[++i];
      // Daemon::locate's error after "condor_rm: " (rm.cpp / tool.cpp).
      if (!schedds.includes(schedd)) return out('', `condor_rm: Can't find address for schedd ${argv[i]}\n`, 1);
    } else if (a === '-pool') i++;
    else if (a.startsWith('-')) return out('', `Warning: unrecognized "${a}" skipped.\n`, 1);
    else targets.push(a);
  }
  if (!targets.length && constraint === null && !all) return out('', 'You did not specify any jobs\n', 1);
  const superuser = req.uid === 0 || (cfg.queueSuperUsers || []).includes(req.user);
  const fullReason = `${reason} (by user ${req.user})`;
  let stdout = '';
  const errs = [];
  const canTouch = (ad) => superuser || ad.Owner === req.user;
  const queue = [...jobs.values()].filter((j) => scheddOfJob(j) === schedd);
  const removeGroup = (matchFn, describe) => {
    if (!queue.length) {
      stdout += '';
      return 'empty';
    }
    const hits = queue.filter((j) => matchFn(j.ad) && j.ad.JobStatus !== 3 && canTouch(j.ad));
    if (!hits.length) {
      errs.push(`Couldn't find/remove all jobs ${describe}`);
      return;
    }
    for (const j of hits) forcex ? toHistory(j) : remove(j, fullReason);
    stdout += `All jobs ${describe} have been marked for removal\n`;
  };
  let emptyQueue = false;
  for (const t of targets) {
    if (/^\d+\.\d+$/.test(t)) {
      const job = jobs.get(t) && scheddOfJob(jobs.get(t)) === schedd ? jobs.get(t) : undefined;
      if (!job) errs.push(`Job ${t} not found`);
      else if (!canTouch(job.ad)) errs.push(`Permission denied to remove job ${t}`);
      else if (forcex) {
        if (job.ad.JobStatus !== 3) errs.push(`Job ${t} not in \`X' state to be forcibly removed`);
        else {
          terminate(job, true);
          vacate(job);
          toHistory(job);
          stdout += `Job ${t} removed locally (remote state unknown)\n`;
        }
      } else if (job.ad.JobStatus === 3) errs.push(`Job ${t} already marked for removal`);
      else {
        remove(job, fullReason);
        stdout += `Job ${t} marked for removal\n`;
      }
    } else if (/^\d+$/.test(t)) {
      if (removeGroup((ad) => ad.ClusterId === Number(t), `in cluster ${t}`) === 'empty') emptyQueue = true;
    } else if (removeGroup((ad) => ad.Owner === t, `of user "${t}"`) === 'empty') emptyQueue = true;
  }
  if (constraint !== null) {
    if (removeGroup((ad) => classad.matches(constraint, ad, {}), `matching constraint (${constraint})`) === 'empty')
      emptyQueue = true;
  }
  if (all && removeGroup((ad) => superuser || ad.Owner === req.user, '') === 'empty') emptyQueue = true;
  saveSoon();
  if (emptyQueue && !errs.length) return out(stdout, 'condor_rm:0:There are no jobs in the queue\n', 0);
  return out(stdout, errs.length ? `\n${errs.join('\n')}\n` : '', errs.length ? 1 : 0);
}

// ---------------------------------------------------------------- control
const FAULT_KINDS = ['never-schedule', 'reject', 'hang', 'kill', 'evict', 'hold', 'q-fail', 'q-slow', 'submit-slow'];
function control(req) {
  switch (req.control) {
    case 'ping':
      return { ok: true, pid: process.pid };
    case 'status': {
      const count = (st) => [...jobs.values()].filter((j) => j.ad.JobStatus === st).length;
      return {
        ok: true,
        pid: process.pid,
        home,
        schedd: scheddName,
        schedds,
        config: cfg,
        hosts: hosts.map((h) => ({
          host: h.ip,
          slots: [...h.slots.entries()].map(([id, s]) => ({ slot: slotName(h, id), job: s.jobId })),
        })),
        jobs: { total: jobs.size, idle: count(1), running: count(2), removing: count(3), held: count(5) },
        history: history.length,
        faults: state.faults,
      };
    }
    case 'fault-add': {
      const f = req.fault || {};
      if (!FAULT_KINDS.includes(f.kind))
        return { ok: false, error: `unknown fault kind ${f.kind} (one of ${FAULT_KINDS.join(', ')})` };
      if (f.host && !hostByIp.has(f.host)) return { ok: false, error: `unknown host ${f.host}` };
      if (f.kind === 'kill' && !(Number(f.after) >= 0)) return { ok: false, error: 'kill needs --after <seconds>' };
      if ((f.kind === 'q-slow' || f.kind === 'submit-slow') && !(Number(f.seconds) > 0))
        return { ok: false, error: `${f.kind} needs --seconds <n>` };
      const fault = { ...f, id: state.nextFaultId++ };
      state.faults.push(fault);
      // An eviction also applies to the matching jobs already running (one use each).
      if (f.kind === 'evict')
        for (const job of jobs.values()) {
          const host = job.ad.JobStatus === 2 && hostByIp.get(job.sim.host);
          if (!host || !faultMatches(fault, job, host) || !state.faults.includes(fault)) continue;
          takeFault('evict', job, host);
          armEvict(job, fault, (Date.now() / 1000 - (job.ad.JobCurrentStartDate || now())) * 1000);
        }
      saveSoon();
      negotiateSoon();
      return { ok: true, fault };
    }
    case 'fault-list':
      return { ok: true, faults: state.faults };
    case 'fault-clear': {
      state.faults = req.id ? state.faults.filter((f) => String(f.id) !== String(req.id)) : [];
      saveSoon();
      negotiateSoon();
      return { ok: true, faults: state.faults };
    }
    case 'stop':
      setImmediate(() => shutdown(Boolean(req.killJobs)));
      return { ok: true };
    default:
      return { ok: false, error: `unknown control ${req.control}` };
  }
}

async function handle(req) {
  if (req.control) return control(req);
  switch (req.tool) {
    case 'condor_submit': {
      const late = { ms: 0 };
      const answer = condorSubmit(req, late);
      if (late.ms) await new Promise((r) => setTimeout(r, late.ms));
      return answer;
    }
    case 'condor_q': {
      const slow = takeFault('q-slow', null, undefined);
      if (slow) await new Promise((r) => setTimeout(r, Number(slow.seconds) * 1000));
      return condorQ(req);
    }
    case 'condor_rm':
      return condorRm(req);
    case 'condor_history':
      return condorHistory(req);
    case 'condor_status':
      return condorStatus(req);
    default:
      return out('', `condor-sim: unknown tool ${req.tool}\n`, 1);
  }
}

// ---------------------------------------------------------------- server
function shutdown(killJobs) {
  if (killJobs) {
    for (const job of jobs.values()) {
      if (job.sim.pid) {
        killGroup(job.sim.pid, 'SIGCONT');
        killGroup(job.sim.pid, 'SIGKILL');
      }
    }
  }
  try {
    saveNow();
  } catch (e) {
    log('save failed', e.message);
  }
  try {
    fs.unlinkSync(F.socket);
  } catch {
    /* gone */
  }
  try {
    fs.unlinkSync(F.pid);
  } catch {
    /* gone */
  }
  process.exit(0);
}

function main() {
  fs.mkdirSync(home, { recursive: true });
  // Jobs run as their owners and the tools as any user: they must reach the socket and scratch dirs.
  fs.chmodSync(home, 0o755);
  fs.mkdirSync(F.execute, { recursive: true, mode: 0o755 });
  fs.chmodSync(F.execute, 0o755);
  for (const h of hosts) fs.mkdirSync(path.join(F.execute, h.ip), { recursive: true, mode: 0o755 });
  try {
    fs.unlinkSync(F.socket);
  } catch {
    /* none */
  }
  adopt();
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => undefined);
    conn.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      let req;
      try {
        req = JSON.parse(line);
      } catch {
        conn.end(`${JSON.stringify(out('', 'condor-sim: bad request\n', 1))}\n`);
        return;
      }
      Promise.resolve()
        .then(() => handle(req))
        .catch((e) => {
          log('request failed', e.stack);
          return out('', `condor-sim internal error: ${e.message}\n`, 1);
        })
        .then((res) => {
          if (!conn.destroyed) conn.end(`${JSON.stringify(res)}\n`);
        });
    });
  });
  server.listen(F.socket, () => {
    fs.chmodSync(F.socket, 0o666);
    fs.writeFileSync(F.pid, String(process.pid));
    log(`condor-sim daemon ${process.pid} listening on ${F.socket}; ${hosts.length} hosts x ${cfg.slotsPerHost} slots`);
    negotiateSoon();
  });
  process.on('SIGTERM', () => shutdown(false));
  process.on('SIGINT', () => shutdown(false));
  process.on('SIGHUP', () => undefined);
}

main();
