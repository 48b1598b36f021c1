import fs from 'node:fs';

// /proc/<pid>/stat times are in clock ticks; USER_HZ is 100 on Linux.
const TICK_S = 0.01;

interface Stat {
  ppid: number;
  /** utime+stime: this process's own CPU. */
  own: number;
  /** cutime+cstime: its children that exited and were reaped. */
  reaped: number;
}

function allStats(): Map<number, Stat> {
  const out = new Map<number, Stat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces: fields start after its closing parenthesis.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), {
        ppid: Number(f[1]),
        own: (Number(f[11]) + Number(f[12])) * TICK_S,
        reaped: (Number(f[13]) + Number(f[14])) * TICK_S,
      });
    } catch {
      // exited while listed
    }
  }
  return out;
}

export interface TreeCpu {
  /** The root process's own CPU seconds. */
  own: number;
  /**
   * The root and every live descendant, with the reaped children of each: a child that exits
   * between two readings moves from its own time into its parent's reaped time, so a difference
   * of two readings counts it once.
   */
  total: number;
}

/** CPU seconds of each root's process tree (a service with its workers and condor tools). */
export function treeCpuSeconds(roots: number[]): Map<number, TreeCpu> {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) {
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid)!.push(pid);
  }
  const out = new Map<number, TreeCpu>();
  for (const root of roots) {
    const r = stats.get(root);
    let total = 0;
    const queue = [root];
    while (queue.length) {
      const pid = queue.pop()!;
      const s = stats.get(pid);
      if (!s) continue;
      total += s.own + s.reaped;
      queue.push(...(children.get(pid) ?? []));
    }
    out.set(root, { own: r?.own ?? 0, total });
  }
  return out;
}
