// The chaos run's choices, all from one seed so a failing run can be replayed (--seed): which
// service is killed when, how long each stays down, how each user's cycles go. The timing of the
// system itself is not replayed, only what the driver does and in which order.

/** mulberry32: a small, fast PRNG with a 32-bit state; good enough to pick faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const between = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

export function shuffle<T>(random: () => number, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * One fault, `pauseMs` after the previous one began (overlapping) or ended. With `overlap`, the
 * next fault does not wait for this one's restart: two parts are down at once (a proxy
 * restarting while the projector is down, a service starting while PostgreSQL is).
 */
export type ChaosAction = { pauseMs: number; downMs: number; overlap: boolean } & (
  { kind: 'kill'; service: string } | { kind: 'restart-postgres' } | { kind: 'restart-nats' }
);

export interface UserCycle {
  /** Stop as soon as the start is accepted, without waiting for ready. */
  stopEarly: boolean;
  /** How long the server stays up (and probed) before its stop, ms. */
  holdMs: number;
  /** The last cycle of some users leaves the server running: the end state is then "ready". */
  leaveRunning: boolean;
}

export interface ChaosPlan {
  seed: number;
  actions: ChaosAction[];
  users: { name: string; cycles: UserCycle[] }[];
}

/**
 * Every service killed `killsPerService` times, PostgreSQL and NATS restarted once each, in a
 * shuffled order, one fault at a time; `cycles` spawn/stop cycles spread over `users` users.
 */
export function chaosPlan(opts: {
  seed: number;
  services: string[];
  killsPerService: number;
  users: number;
  cycles: number;
  userPrefix: string;
  /** PostgreSQL and NATS stay down this long, ms. */
  brokerDownMs: number;
}): ChaosPlan {
  const random = seededRandom(opts.seed);
  const faults: ChaosAction[] = [];
  const timing = () => ({ pauseMs: between(random, 1_000, 5_000), overlap: random() < 0.3 });
  for (const service of opts.services)
    for (let i = 0; i < opts.killsPerService; i++)
      faults.push({ kind: 'kill', service, ...timing(), downMs: between(random, 200, 3_000) });
  faults.push({ kind: 'restart-postgres', ...timing(), downMs: opts.brokerDownMs });
  faults.push({ kind: 'restart-nats', ...timing(), downMs: opts.brokerDownMs });
  const actions = shuffle(random, faults);
  const users = Array.from({ length: opts.users }, (_, u) => {
    const n = Math.floor(opts.cycles / opts.users) + (u < opts.cycles % opts.users ? 1 : 0);
    return {
      name: `${opts.userPrefix}${u}`,
      cycles: Array.from({ length: n }, (_, i) => ({
        stopEarly: random() < 0.2,
        holdMs: between(random, 500, 3_000),
        leaveRunning: i === n - 1 && u % 2 === 1,
      })),
    };
  });
  return { seed: opts.seed, actions, users };
}

export function describeAction(a: ChaosAction): string {
  const what = a.kind === 'kill' ? `SIGKILL ${a.service}` : a.kind;
  return `${what} (after ${a.pauseMs} ms, down ${a.downMs} ms${a.overlap ? ', overlapping the next' : ''})`;
}
