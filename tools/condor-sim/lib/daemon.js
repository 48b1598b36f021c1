'use strict';
// condor-sim daemon: one process holding the schedd (queue, history, tool requests;
// schedd.js, tool-handlers.js), the negotiator (FIFO with a delay, honouring requirements;
// negotiator.js) and the startds (slots on the worker hosts, real job processes run as the
// owner; startd.js). State lives in <home>/state.json (sim-state.js) and survives restarts;
// running jobs keep running across a restart and are adopted again by pid. This file is the
// socket server, the control requests (ping, status, faults, stop) and shutdown.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const sim = require('./sim-state');
const { home, F, cfg, scheddName, schedds, state, jobs, history, now, log, saveNow, saveSoon } = sim;
const { faultMatches, takeFault } = sim;
const schedd = require('./schedd');
const startd = require('./startd');
const negotiator = require('./negotiator');
const tools = require('./tool-handlers');

const { hosts, hostByIp, slotName } = startd;
const { out } = tools;

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
          startd.armEvict(job, fault, (Date.now() / 1000 - (job.ad.JobCurrentStartDate || now())) * 1000);
        }
      saveSoon();
      negotiator.negotiateSoon();
      return { ok: true, fault };
    }
    case 'fault-list':
      return { ok: true, faults: state.faults };
    case 'fault-clear': {
      state.faults = req.id ? state.faults.filter((f) => String(f.id) !== String(req.id)) : [];
      saveSoon();
      negotiator.negotiateSoon();
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
      const answer = tools.condorSubmit(req, late);
      if (late.ms) await new Promise((r) => setTimeout(r, late.ms));
      return answer;
    }
    case 'condor_q': {
      const slow = takeFault('q-slow', null, undefined);
      if (slow) await new Promise((r) => setTimeout(r, Number(slow.seconds) * 1000));
      return tools.condorQ(req);
    }
    case 'condor_rm':
      return tools.condorRm(req);
    case 'condor_history':
      return tools.condorHistory(req);
    case 'condor_status':
      return tools.condorStatus(req);
    default:
      return out('', `condor-sim: unknown tool ${req.tool}\n`, 1);
  }
}

// ---------------------------------------------------------------- server
function shutdown(killJobs) {
  if (killJobs) {
    for (const job of jobs.values()) {
      if (job.sim.pid) {
        startd.killGroup(job.sim.pid, 'SIGCONT');
        startd.killGroup(job.sim.pid, 'SIGKILL');
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
  schedd.adopt();
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
    negotiator.negotiateSoon();
  });
  process.on('SIGTERM', () => shutdown(false));
  process.on('SIGINT', () => shutdown(false));
  process.on('SIGHUP', () => undefined);
}

main();
