'use strict';
// condor-sim's startds: the worker hosts and their slots (partitionable or static), the slot
// ads jobs are matched against, and the job processes themselves, run as their owner by a
// small shell wrapper (the starter's part).
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const classad = require('./classad');
const fmt = require('./format');
const { workerHosts } = require('./paths');
const { F, cfg, jobs, state, now, log, saveSoon, addTimer, faultMatches, takeFault } = require('./sim-state');
// Cyclic (the schedd starts and stops jobs here): used only inside functions, never at load.
const schedd = require('./schedd');

// ---------------------------------------------------------------- hosts and slots
// `ip` is the host's name as jobs and the tools see it (Machine, RemoteHost): a loopback
// address by default, or a configured name (workerAddresses).
const hosts = workerHosts(cfg).map((ip, index) => ({
  ip,
  index,
  cpus: cfg.slotsPerHost,
  memory: cfg.slotsPerHost * cfg.memoryPerSlotMb,
  slots: new Map(),
}));
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

// ---------------------------------------------------------------- users
function lookupUser(name) {
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const p = line.split(':');
    if (p[0] === name) return { name, uid: Number(p[2]), gid: Number(p[3]), home: p[5] };
  }
  return undefined;
}

/** useradd -m for an owner this machine lacks (createOwners); the account, or undefined. */
function createOwner(name) {
  // The names condor_submit could have sent (a POSIX account name), nothing useradd would misread.
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) return undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = spawnSync('useradd', ['-m', '-s', '/bin/sh', name], { timeout: 10_000, encoding: 'utf8' });
    // 9: exists (created meanwhile); 10: /etc/passwd locked by another useradd, try again.
    if (r.status === 0 || r.status === 9) break;
    if (r.status !== 10) {
      log('useradd', name, 'failed:', r.error ? r.error.message : r.stderr.trim());
      break;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  return lookupUser(name);
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
  const owner = lookupUser(job.ad.Owner) ?? (cfg.createOwners ? createOwner(job.ad.Owner) : undefined);
  const name = slotName(host, slot.id);
  if (!owner) {
    schedd.hold(job, `Error from ${name}: Failed to look up user ${job.ad.Owner}`, 6, 0);
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
  schedd.setStatus(job, 2);
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
  child.on('close', (code, signal) => schedd.processGone(id, pid, code, signal, setupError));
  schedd.writeEvent(job, 1, `Job executing on host: ${mad.StartdIpAddr}`, [
    `SlotName: ${name}`,
    `Cpus = ${slot.cpus}`,
    `Memory = ${slot.memory}`,
  ]);
  armRunningFaults(job, host);
  saveSoon();
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
      schedd.remove(j, reason, { hard: true, reuse: kill.reuse !== false });
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
      schedd.hold(j, h.reason || 'Held by condor-sim fault injection', Number(h.code ?? 3), Number(h.subcode ?? 0));
    });
  }
}

function armEvict(job, fault, elapsedMs) {
  const id = `${job.ad.ClusterId}.${job.ad.ProcId}`;
  const start = job.ad.JobCurrentStartDate;
  addTimer(id, Math.max(0, Number(fault.after || 0) * 1000 - elapsedMs), () => {
    const j = jobs.get(id);
    if (j && j.ad.JobStatus === 2 && j.ad.JobCurrentStartDate === start)
      schedd.evict(j, fault.seconds === undefined ? 2000 : Number(fault.seconds) * 1000);
  });
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

Object.assign(module.exports, {
  hosts,
  hostByIp,
  slotName,
  usage,
  machineAd,
  fit,
  vacate,
  killGroup,
  terminate,
  start,
  armRunningFaults,
  armEvict,
  slotAds,
});
