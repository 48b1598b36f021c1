import fs from 'node:fs';

// /proc/<pid>/stat times are in clock ticks; USER_HZ is 100 on Linux.
const TICK_S = 0.01;

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields start after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User+system CPU seconds of a running process (0 if it is gone). */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_S : 0;
}

/**
 * CPU seconds of this process's children that have exited and been reaped (cutime+cstime):
 * every condor tool the bench (or a CondorClient in this process) ran.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields('self')!;
  return (Number(f[13]) + Number(f[14])) * TICK_S;
}
