'use strict';
// condor-sim's schedd: the job lifecycle in the queue (hold, remove, complete, evict, the job
// event log, history) and adoption of running jobs after a restart.
const fs = require('node:fs');
const os = require('node:os');
const { jobs, history, now, log, pad, saveSoon, clearRuntime, scheddOfJob } = require('./sim-state');
// Cyclic (jobs start and leave slots, freed slots are negotiated): used only inside functions.
const startd = require('./startd');
const negotiator = require('./negotiator');

// ---------------------------------------------------------------- job event log
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

function hold(job, reason, code, subcode) {
  const wasRunning = job.ad.JobStatus === 2;
  if (wasRunning) {
    startd.terminate(job, false);
    job.sim.pid = undefined;
    startd.vacate(job);
  }
  clearRuntime(`${job.ad.ClusterId}.${job.ad.ProcId}`);
  setStatus(job, 5);
  job.ad.HoldReason = reason;
  job.ad.HoldReasonCode = code;
  job.ad.HoldReasonSubCode = subcode;
  writeEvent(job, 12, 'Job was held.', [reason, `Code ${code} Subcode ${subcode}`]);
  saveSoon();
  if (wasRunning) negotiator.negotiateSoon();
}

/** condor_rm or a policy: JobStatus 3; leaves the queue once its process is gone. */
function remove(job, reason, { hard = false, reuse = false } = {}) {
  setStatus(job, 3);
  job.ad.RemoveReason = reason;
  writeEvent(job, 9, 'Job was aborted.', [reason]);
  if (job.sim.pid) {
    startd.terminate(job, hard);
    const freed = startd.vacate(job);
    // The slot is handed on at once (claim reuse): the next job may get the same slot name.
    if (freed && reuse) negotiator.startNextOn(freed.host, freed.id);
    else negotiator.negotiateSoon();
    saveSoon();
    return;
  }
  startd.vacate(job);
  toHistory(job);
}

function completed(job, exitCode, signal) {
  startd.vacate(job);
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
  negotiator.negotiateSoon();
}

/**
 * Eviction (preemption, a vacated claim, a startd that went away): the job's process is stopped
 * as the starter does, the job goes back to idle (2 -> 1, LastRemoteHost kept) and is matched
 * again, possibly on another host, where it starts from scratch.
 */
function evict(job, idleMs) {
  startd.terminate(job, false);
  job.sim.pid = undefined;
  clearRuntime(`${job.ad.ClusterId}.${job.ad.ProcId}`);
  startd.vacate(job);
  setStatus(job, 1);
  // Matched again at a later negotiation cycle, not at once.
  job.sim.eligibleAt = Date.now() + idleMs;
  writeEvent(job, 4, 'Job was evicted.', ['(0) Job was not checkpointed.']);
  saveSoon();
  negotiator.negotiateSoon(idleMs);
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
    startd.vacate(job);
    toHistory(job);
    return;
  }
  if (job.ad.JobStatus !== 2) return;
  if (setupError) {
    // "<code> <subcode> <message>" from the wrapper: the starter could not start the job.
    const m = /^(\d+) (\d+) (.*)$/s.exec(setupError.trim());
    const slot = job.ad.RemoteHost;
    startd.vacate(job);
    hold(job, `Error from ${slot}: ${m ? m[3] : setupError.trim()}`, m ? Number(m[1]) : 6, m ? Number(m[2]) : 0);
    negotiator.negotiateSoon();
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
      const host = s.host && startd.hostByIp.get(s.host);
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
        if (job.ad.JobStatus === 2 && host) startd.armRunningFaults(job, host);
      } else if (job.ad.JobStatus === 2 && s.statusFile && fs.existsSync(s.statusFile)) {
        processGone(id, s.pid, null, null, '');
      } else if (job.ad.JobStatus === 2) {
        // Lost while we were down: evicted, back to idle (2 -> 1, LastRemoteHost kept).
        s.pid = undefined;
        startd.vacate(job);
        setStatus(job, 1);
        writeEvent(job, 4, 'Job was evicted.', ['(0) Job was not checkpointed.']);
      } else {
        s.pid = undefined;
        startd.vacate(job);
        toHistory(job);
      }
    } else if (job.ad.JobStatus === 3) toHistory(job);
  }
}

Object.assign(module.exports, {
  writeEvent,
  setStatus,
  toHistory,
  hold,
  remove,
  completed,
  evict,
  processGone,
  adopt,
});
