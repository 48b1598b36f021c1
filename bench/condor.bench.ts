// condor-sim + libs/condor: 2,000 submits through the adapter (as a real user, through
// runuser, as the spawner does), then one condor_q returning all of them.
// usage: npm run bench:condor [-- --jobs N --concurrency C]
import os from 'node:os';
import { CondorClient, type JobId } from '@condorhub/condor';
import { ensureUser, startCondorSim } from '../tools/condor-sim/harness';
import { numberArg } from './lib/args';

const JOBS = numberArg('jobs', 2000);
const CONCURRENCY = numberArg('concurrency', 4);
const QUERIES = numberArg('queries', 5);
const USER = 'chbench';

async function main() {
  ensureUser(USER);
  const sim = startCondorSim({ hosts: 3, slots: 4, delayMs: 1000 });
  try {
    // Nothing runs: the queue grows to JOBS idle jobs, which is what the query must return.
    sim.fault('never-schedule');
    const client = new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      commandPrefix: 'runuser -u {user} --',
      timeoutMs: 60_000,
      instance: 'bench',
    });
    console.log(
      `condor bench: ${JOBS} jobs, ${CONCURRENCY} concurrent submits, ${os.cpus().length} cpus, node ${process.version}`,
    );
    const ids: JobId[] = [];
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < JOBS) {
        const n = next++;
        const res = await client.submit({
          owner: USER,
          executable: '/bin/true',
          arguments: ['--spawn', String(n)],
          environment: { JUPYTERHUB_API_TOKEN: `token-${n}` },
          requestMemoryMb: 512,
          excludeMachines: ['127.0.0.4'],
          spawnId: `bench-${n}`,
        });
        ids.push(res.jobId);
        if (ids.length % 200 === 0) {
          const s = (performance.now() - t0) / 1000;
          console.log(`  submitted ${ids.length}/${JOBS} (${(ids.length / s).toFixed(1)}/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const submitSeconds = (performance.now() - t0) / 1000;
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const q0 = performance.now();
      const snap = await client.query(ids);
      const ms = performance.now() - q0;
      if (snap.status !== 'ok') throw new Error(`query failed: ${snap.error.message}`);
      if (snap.jobs.length !== JOBS || snap.missing.length)
        throw new Error(`query returned ${snap.jobs.length} jobs, ${snap.missing.length} missing`);
      times.push(ms);
      console.log(`  query ${i + 1}/${QUERIES}: ${snap.jobs.length} jobs in ${ms.toFixed(0)} ms`);
    }
    times.sort((a, b) => a - b);
    console.log(`condor.submit_per_s: ${(JOBS / submitSeconds).toFixed(1)}`);
    console.log(`condor.query_all_ms: ${times[Math.floor(times.length / 2)].toFixed(0)}`);
  } finally {
    sim.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
