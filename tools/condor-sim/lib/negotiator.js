'use strict';
// condor-sim's negotiator: FIFO matchmaking with a delay, each eligible idle job to the first
// host (in address order) whose slot ad satisfies its Requirements, and claim reuse.
const { jobs, now, saveSoon, takeFault } = require('./sim-state');
// Cyclic (a started job's end asks for a new cycle): used only inside functions.
const startd = require('./startd');

/** Claim reuse: the next idle job that fits this host starts in the freed slot right now. */
function startNextOn(host, slotId) {
  for (const job of jobs.values()) {
    if (job.ad.JobStatus !== 1) continue;
    if (takeFault('never-schedule', job, host, false)) continue;
    const slot = startd.fit(host, job, slotId);
    if (slot) {
      startd.start(job, host, slot);
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
    for (const host of startd.hosts) {
      if (takeFault('never-schedule', job, host, false)) continue;
      const slot = startd.fit(host, job);
      if (slot) {
        startd.start(job, host, slot);
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

Object.assign(module.exports, { negotiateSoon, negotiate, startNextOn });
