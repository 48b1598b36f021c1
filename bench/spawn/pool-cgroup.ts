import fs from 'node:fs';
import path from 'node:path';

/**
 * A CPU cgroup (v1 `cpu` controller) for the simulated pool's worker nodes: every job the sim
 * starts moves itself in (condor-sim `jobCpuCgroup`). On a real site jobs run on worker nodes,
 * not on the hub's cores; here they share 2 cores with condorhub, PostgreSQL, NATS and the sim's
 * schedd, so the bench gives all of them together one CPU weight instead of other machines.
 * They still get every cycle nobody else wants.
 */
export interface PoolCgroup {
  dir: string;
  shares: number;
  /** Moves what is left back to the root group and deletes the cgroup; safe to call twice. */
  remove(): void;
}

const CPU_ROOT = '/sys/fs/cgroup/cpu';

/** Undefined when this machine has no writable v1 cpu controller (the bench then says so). */
export function poolCgroup(shares: number): PoolCgroup | undefined {
  if (!fs.existsSync(path.join(CPU_ROOT, 'cpu.shares'))) return undefined;
  const dir = path.join(CPU_ROOT, `condorhub-bench-pool-${process.pid}`);
  try {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cpu.shares'), String(shares));
  } catch {
    return undefined;
  }
  const procsFile = path.join(dir, 'cgroup.procs');
  // Jobs run as their owner and move themselves in: they must be able to write here.
  fs.chmodSync(procsFile, 0o666);
  return {
    dir,
    shares,
    remove() {
      for (let attempt = 0; attempt < 20 && fs.existsSync(dir); attempt++) {
        for (const pid of fs.readFileSync(procsFile, 'utf8').split('\n').filter(Boolean)) {
          try {
            fs.writeFileSync(path.join(CPU_ROOT, 'cgroup.procs'), pid);
          } catch {
            // already gone
          }
        }
        try {
          fs.rmdirSync(dir);
        } catch {
          // a process forked meanwhile: once more
        }
      }
    },
  };
}
