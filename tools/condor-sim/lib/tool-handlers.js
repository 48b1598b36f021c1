'use strict';
// condor-sim's answers to the condor tools (condor_submit, condor_q, condor_status,
// condor_history, condor_rm): argv as the real tools read it, output and exit codes as
// shared/reference/htcondor.md has them.
const fs = require('node:fs');
const path = require('node:path');
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
const {
  cfg,
  scheddName,
  schedds,
  scheddOfJob,
  scheddAddr,
  now,
  pad,
  state,
  jobs,
  history,
  saveSoon,
  faultMatches,
  takeFault,
} = require('./sim-state');
// The schedd's side of a job's life (named so: `schedd` is a schedd's name in the tools here).
const lifecycle = require('./schedd');
const startd = require('./startd');
const negotiator = require('./negotiator');

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
    lifecycle.writeEvent(job, 0, `Job submitted from host: ${scheddAddr}`);
    // Queued, but the answer is late: a busy schedd whose client may give up first.
    const slow = takeFault('submit-slow', job, undefined);
    if (slow) late.ms = Math.max(late.ms, Number(slow.seconds) * 1000);
    const rej = takeFault('reject', job, undefined);
    if (rej) {
      lifecycle.remove(
        job,
        rej.reason || "The system macro SYSTEM_PERIODIC_REMOVE expression 'CondorSimReject =?= true' evaluated to TRUE",
      );
      continue;
    }
    const h = state.faults.find((x) => x.kind === 'hold' && x.idle && faultMatches(x, job, undefined));
    if (h) {
      takeFault('hold', job, undefined);
      lifecycle.hold(
        job,
        h.reason || 'Held by condor-sim fault injection',
        Number(h.code ?? 3),
        Number(h.subcode ?? 0),
      );
    }
  }
  saveSoon();
  negotiator.negotiateSoon(cfg.scheduleDelayMs);
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
  const ads = startd.slotAds().filter((ad) => sel.constraint === null || classad.matches(sel.constraint, ad, {}));
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
    for (const j of hits) forcex ? lifecycle.toHistory(j) : lifecycle.remove(j, fullReason);
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
          startd.terminate(job, true);
          startd.vacate(job);
          lifecycle.toHistory(job);
          stdout += `Job ${t} removed locally (remote state unknown)\n`;
        }
      } else if (job.ad.JobStatus === 3) errs.push(`Job ${t} already marked for removal`);
      else {
        lifecycle.remove(job, fullReason);
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

module.exports = { out, condorSubmit, condorQ, condorStatus, condorHistory, condorRm };
