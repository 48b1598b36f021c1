import { type Ask } from './invariants';
import { type UserCycle } from './chaos-plan';
import { type HubApi, json, retryable } from './hub-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DriverTally {
  cyclesStarted: number;
  cyclesDone: number;
  ready: number;
  /** Spawns that ended without becoming ready (a failure the hub reported). */
  failed: number;
  /** Waits that ran out: the server neither got ready nor ended, or did not stop, in time. */
  timedOut: number;
  /** Answers the driver did not expect (not a retryable outage): listed. */
  unexpected: string[];
  /** Spawns accepted and not yet ready or ended: the busy moments a broker restart waits for. */
  inFlight: number;
  /** Stops sent again because the first did not end the server in time (as a user would press Stop again). */
  repeatedStops: number;
}

/**
 * One user's spawn/stop cycles through the hub's REST API (via the proxy), with the user's own
 * token. Each request is retried while the hub or the spawner is down; what the hub last
 * acknowledged is recorded in `asked`, which the invariant checker holds the end state against.
 */
export class UserDriver {
  constructor(
    private readonly user: string,
    private readonly api: HubApi,
    private readonly tally: DriverTally,
    private readonly asked: Map<string, Ask>,
    /** Streams whose last request went unanswered: what it did is not known. */
    private readonly uncertain: Set<string>,
    private readonly waitS: number,
  ) {}

  private get stream() {
    return `server-${this.user}/`;
  }

  /** Sends until the hub gives a definite answer; false when it never did. */
  private async ask(what: Ask): Promise<boolean> {
    const deadline = Date.now() + this.waitS * 1000;
    const path = `/users/${this.user}/server`;
    while (Date.now() < deadline) {
      const a = what === 'start' ? await this.api.call('POST', path, {}) : await this.api.call('DELETE', path);
      const message = String(json(a)?.message ?? a.body).slice(0, 200);
      if (
        (what === 'start' &&
          ([201, 202].includes(a.status) || (a.status === 400 && /already running/.test(message)))) ||
        (what === 'stop' && [202, 204].includes(a.status))
      ) {
        this.asked.set(this.stream, what);
        this.uncertain.delete(this.stream);
        return true;
      }
      // A request that got no answer may still have been carried out.
      if (a.status === 0) this.uncertain.add(this.stream);
      if (!retryable(a) && !(a.status === 400 && /pending stop/.test(message))) {
        this.tally.unexpected.push(`${what} ${this.user}: ${a.status} ${message}`);
        return false;
      }
      await sleep(1_000);
    }
    this.tally.unexpected.push(`${what} ${this.user}: no definite answer in ${this.waitS} s`);
    return false;
  }

  /** Polls the user model until the server is ready, has ended, or has stopped. */
  private async waitFor(want: 'ready' | 'stopped'): Promise<'ready' | 'ended' | 'timeout'> {
    const deadline = Date.now() + this.waitS * 1000;
    while (Date.now() < deadline) {
      const a = await this.api.call('GET', `/users/${this.user}`);
      const model = a.status === 200 ? json(a) : undefined;
      if (model) {
        if (want === 'ready' && model.server) return 'ready';
        if (!model.server && !model.pending) return 'ended';
      }
      await sleep(500);
    }
    return 'timeout';
  }

  async cycle(c: UserCycle): Promise<void> {
    this.tally.cyclesStarted++;
    try {
      if (!(await this.ask('start'))) return;
      if (!c.stopEarly) {
        this.tally.inFlight++;
        const outcome = await this.waitFor('ready').finally(() => this.tally.inFlight--);
        if (outcome === 'ready') this.tally.ready++;
        else if (outcome === 'ended') this.tally.failed++;
        else this.tally.timedOut++;
        if (c.leaveRunning) return;
        await sleep(c.holdMs);
      }
      if (!(await this.ask('stop'))) return;
      if ((await this.waitFor('stopped')) !== 'timeout') return;
      this.tally.repeatedStops++;
      if (!(await this.ask('stop'))) return;
      if ((await this.waitFor('stopped')) === 'timeout') this.tally.timedOut++;
    } finally {
      this.tally.cyclesDone++;
    }
  }
}
