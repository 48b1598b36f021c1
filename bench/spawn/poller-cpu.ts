import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CondorClient, type JobId } from '@condorhub/condor';
import { startCondorSim } from '../../tools/condor-sim/harness';
import { processCpuSeconds, reapedChildrenCpuSeconds } from '../lib/proc-cpu';

export interface PollerCpuResult {
  jobs: number;
  oursCpuS: number;
  oursWallMs: number;
  perJobCpuS: number;
  perJobWallS: number;
  ratio: number;
}

const INSTANCE = 'benchcpu';

/**
 * At `jobs` tracked jobs: CPU of one batched condor_q (condorhub's poll cycle, through the real
 * adapter) against one condor_q per job (batchspawner's cycle: each spawner's poll runs
 * `condor_q <id>` for its own job). CPU = the tool processes + the sim daemon serving them.
 */
export async function measurePollerCpu(opts: {
  user: string;
  jobs: number;
  concurrency: number;
  log: (l: string) => void;
}): Promise<PollerCpuResult> {
  const sim = startCondorSim({ hosts: 1, slots: 1, delayMs: 1000 });
  try {
    sim.fault('never-schedule');
    const daemonPid = Number(fs.readFileSync(path.join(sim.home, 'daemon.pid'), 'utf8'));
    const env = { ...process.env, ...sim.env };
    // One submit with `queue N`: 1,000 separate condor_submits would take a minute and are not
    // what is measured here.
    const submitFile = [
      'universe = vanilla',
      'executable = /bin/true',
      `+CondorhubInstance = "${INSTANCE}"`,
      'request_memory = 512',
      `queue ${opts.jobs}`,
      '',
    ].join('\n');
    const out = execFileSync('runuser', ['-u', opts.user, '--', path.join(sim.binDir, 'condor_submit'), '-terse'], {
      input: submitFile,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const m = /^(\d+)\.0 - \d+\.(\d+)/m.exec(out);
    if (!m || Number(m[2]) !== opts.jobs - 1) throw new Error(`unexpected condor_submit output: ${out.slice(0, 200)}`);
    const ids = Array.from({ length: opts.jobs }, (_, i) => `${m[1]}.${i}` as JobId);
    opts.log(`poller CPU: ${opts.jobs} never-scheduled jobs queued (cluster ${m[1]})`);

    const cpuNow = () => reapedChildrenCpuSeconds() + processCpuSeconds(daemonPid);
    const client = new CondorClient({ binDir: sim.binDir, env: sim.env, instance: INSTANCE, timeoutMs: 60_000 });
    // Ours: five cycles, median, after one warm-up (first-call file cache effects).
    await client.query(ids);
    const ours: { cpu: number; ms: number; adapter: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const c0 = cpuNow();
      const a0 = process.cpuUsage();
      const t0 = performance.now();
      const snap = await client.query(ids);
      const ms = performance.now() - t0;
      const a = process.cpuUsage(a0);
      if (snap.status !== 'ok' || snap.jobs.length !== opts.jobs)
        throw new Error('batched condor_q did not see every job');
      ours.push({ cpu: cpuNow() - c0, ms, adapter: (a.user + a.system) / 1e6 });
    }
    ours.sort((a, b) => a.cpu - b.cpu);
    const mid = ours[2];
    opts.log(
      `poller CPU: one condor_q for ${opts.jobs} jobs: ${(mid.cpu * 1000).toFixed(0)} ms CPU, ${mid.ms.toFixed(0)} ms wall ` +
        `(CPU over 5 runs: ${ours.map((o) => (o.cpu * 1000).toFixed(0)).join(', ')} ms); ` +
        `the adapter's spawn, JSON.parse and validation in this process: ${(mid.adapter * 1000).toFixed(0)} ms more`,
    );

    // Per job, as batchspawner's CondorSpawner queries: `condor_q <id>` with JobStatus and
    // RemoteHost (its -format pair, as -af). Without its `sudo -E -u <user>` prefix, which
    // would only add to the per-job side.
    const c0 = cpuNow();
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    let done = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        await new Promise<void>((resolve) => {
          execFile(
            path.join(sim.binDir, 'condor_q'),
            [id, '-af', 'JobStatus', 'RemoteHost'],
            { env, timeout: 30_000 },
            (err, stdout) => {
              if (err || !/^1 /.test(stdout)) failed++;
              resolve();
            },
          );
        });
        if (++done % 200 === 0) opts.log(`poller CPU: per-job condor_q ${done}/${ids.length}`);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const perJobCpu = cpuNow() - c0;
    const perJobWall = (performance.now() - t0) / 1000;
    if (failed) throw new Error(`${failed} per-job condor_q calls failed`);
    opts.log(
      `poller CPU: ${opts.jobs} per-job condor_q: ${perJobCpu.toFixed(1)} s CPU, ${perJobWall.toFixed(1)} s wall ` +
        `(${opts.concurrency} at a time)`,
    );
    return {
      jobs: opts.jobs,
      oursCpuS: mid.cpu,
      oursWallMs: mid.ms,
      perJobCpuS: perJobCpu,
      perJobWallS: perJobWall,
      ratio: perJobCpu / mid.cpu,
    };
  } finally {
    sim.stop();
    fs.rmSync(sim.home, { recursive: true, force: true });
  }
}
