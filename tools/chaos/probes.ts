import { type ProbeTally } from './invariants';
import { request } from './hub-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A browser of one user: with its own hub session cookie it keeps asking for its own notebook
 * (/user/<me>/) and, now and then, another user's, in the spellings an attacker would try.
 * Every notebook answer says whose notebook it is (the stand-in's X-Stand-In-Owner) and whether
 * it got the hub's cookie; an answer from anyone else's notebook is a request routed wrongly, and
 * the hub's cookie must never reach a notebook (the proxy strips it), whoever's it is.
 */
export class ProbeClient {
  readonly tally: ProbeTally;
  private running = true;
  private done?: Promise<void>;

  constructor(
    private readonly base: string,
    readonly user: string,
    private readonly cookie: string,
    private readonly others: string[],
    private readonly random: () => number,
    /** An admin's browser: may open every notebook, so it only asks for others' and only the hub cookie is checked. */
    private readonly admin = false,
  ) {
    this.tally = { user, requests: 0, ownAnswers: 0, foreign: [], hubCookieSeen: [] };
  }

  /**
   * The paths tried against `other`'s notebook: canonical, encoded letters, doubled slash, each
   * also with a made-up `?token=` (what a lure link would carry).
   */
  static crossPaths(other: string): string[] {
    const spellings = [`/user/${other}/`, `/%75ser/${other}/`, `//user/${other}/`];
    return [...spellings, ...spellings.map((p) => `${p}?token=x`)];
  }

  start(): void {
    this.done = this.loop();
  }

  private async loop() {
    for (let i = 0; this.running; i++) {
      const cross = (this.admin || i % 4 === 3) && this.others.length > 0;
      const other = this.others[Math.floor(this.random() * this.others.length)];
      const paths = ProbeClient.crossPaths(other);
      const path = cross ? paths[Math.floor(this.random() * paths.length)] : `/user/${this.user}/`;
      const a = await request(
        this.base,
        'GET',
        path,
        { cookie: this.cookie, accept: 'application/json' },
        undefined,
        5_000,
      );
      this.tally.requests++;
      const owner = a.headers['x-stand-in-owner'];
      if (typeof owner === 'string' && owner) {
        if (owner === this.user) this.tally.ownAnswers++;
        else if (!this.admin) this.tally.foreign.push({ user: this.user, path, status: a.status, owner });
        if (a.headers['x-stand-in-hub-cookie'] === 'yes') this.tally.hubCookieSeen.push({ path, owner });
      }
      await sleep(400 + Math.floor(this.random() * 600));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
