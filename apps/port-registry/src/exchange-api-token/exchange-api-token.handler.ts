import dns from 'node:dns';
import net from 'node:net';
import type { Pool } from 'pg';
import { type EventEnvelope, SpawnId, launcherStreamId, newEvent, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend, readStream } from '@condorhub/event-store';
import {
  type ExchangeAsk,
  type ExchangeVerdict,
  type LauncherCredential,
  credentialProblem,
  decideTokenExchange,
  foldLauncherCredential,
  foldServer,
  isPending,
  tokenIssued,
} from '@condorhub/server-lifecycle';
import { hashToken, issueToken, revokeToken, serverTokenScopes, verifyToken } from '@condorhub/tokens';
import { RegistryError } from '../auth/server-token';

/** Times the credential changed between a decision and its append before a retryable 503. */
const ROUNDS = 10;
const RESOLVE_TIMEOUT_MS = 3_000;

export interface ExchangeApiTokenOptions {
  /** Refuse exchanges from other addresses than the job's host (CONDORHUB_LAUNCHER_HOST_CHECK). */
  hostCheck: boolean;
  /** How long to wait for JobRunning before answering 503. */
  hostWaitMs: number;
  /** Asks the poller for a condor_q now. */
  poke?: () => void;
  /** Addresses of a host name (tests replace it). */
  resolveHost?: (host: string) => Promise<string[]>;
}

export interface ExchangeRequest {
  /** `<spawnId>.<secret>` from the job's CONDORHUB_LAUNCHER_BOOTSTRAP. */
  bootstrap: string;
  /** 32 random bytes (hex) the launcher made up: a repeat with the same key is its own retry. */
  launcherKey: string;
}

/**
 * The launcher trades its spawn's one-time bootstrap credential for the server API token, as
 * decideTokenExchange says, from the host the job runs on (when its address is known). The
 * first exchange is recorded (ApiTokenIssued, with the hash of the launcher's key), a refused
 * second one too (ApiTokenExchangeRefused). Everything else is refused and changes nothing.
 */
export class ExchangeApiTokenHandler {
  constructor(
    private readonly pool: Pool,
    private readonly opts: ExchangeApiTokenOptions,
  ) {}

  async handle(body: unknown, remoteAddress: string): Promise<{ token: string }> {
    const { spawnId, secret, launcherKey } = parseExchangeBody(body);
    const ask: ExchangeAsk = {
      spawnId,
      secretHash: hashToken(secret),
      launcherKeyHash: hashToken(launcherKey),
      remoteAddress,
      now: Date.now(),
    };
    const credentialStream = launcherStreamId(spawnId);
    const metadata = { correlationId: spawnId, actor: 'port-registry' };
    let waitedForRun = false;
    for (let round = 0; round < ROUNDS; round++) {
      ask.now = Date.now();
      const credential = foldLauncherCredential(await readStream(this.pool, credentialStream));
      const problem = credentialProblem(credential, ask);
      if (problem) throw new RegistryError(401, problem);
      const stream = serverStreamId(credential.bootstrap!.user, credential.bootstrap!.serverName);
      let events = await readStream(this.pool, stream);
      let verdict = decideTokenExchange(credential, events, foldServer(events), ask, waitedForRun);
      if (verdict.kind === 'wait-for-run') {
        events = await this.waitForRun(stream, credential, ask);
        waitedForRun = true;
        verdict = decideTokenExchange(credential, events, foldServer(events), ask, waitedForRun);
      }
      if (verdict.kind === 'refuse') throw new RegistryError(verdict.status, verdict.message);
      if (verdict.kind === 'wait-for-run') continue; // not reached: waited once already
      await this.checkHost(verdict.host, remoteAddress);
      // Decided again on the credential as stored when appending, with the server as read above.
      const again = (credentialEvents: EventEnvelope[]): ExchangeVerdict =>
        decideTokenExchange(foldLauncherCredential(credentialEvents), events, foldServer(events), ask, waitedForRun);

      if (verdict.kind === 'taken') {
        const result = await decideAndAppend(
          this.pool,
          credentialStream,
          (stored) => {
            const v = again(stored);
            return v.kind === 'taken' ? { events: v.events } : undefined;
          },
          { metadata, attempts: 1 },
        );
        if (result === 'declined' || result === 'conflict') continue;
        // A spawn already past its start keeps running: its launcher was the first, it holds the token.
        if (verdict.failSpawn) await this.failSpawn(stream, spawnId, remoteAddress);
        throw new RegistryError(
          409,
          "this spawn's launcher credential was already exchanged by another process; the spawn is being stopped",
        );
      }

      const token = await issueToken(this.pool, {
        owner: credential.bootstrap!.user,
        kind: 'server',
        spawnId,
        serverName: credential.bootstrap!.serverName,
        scopes: serverTokenScopes(credential.bootstrap!.user, credential.bootstrap!.serverName),
        note: `server token of spawn ${spawnId}`,
      });
      const tokenId = (await verifyToken(this.pool, token))!.id;
      let replaced: string | undefined;
      const result = await decideAndAppend(
        this.pool,
        credentialStream,
        (stored) => {
          const v = again(stored);
          replaced = v.kind === 'issue' ? v.revoke : undefined;
          return v.kind === 'issue' ? { events: [tokenIssued(ask, tokenId)] } : undefined;
        },
        { metadata, attempts: 1 },
      );
      if (result === 'declined' || result === 'conflict') {
        // Not recorded, so never handed out.
        await revokeToken(this.pool, tokenId);
        continue;
      }
      // The same launcher again (or the job's next run): the earlier token is of no use to anyone.
      if (replaced) await revokeToken(this.pool, replaced);
      return { token };
    }
    throw new RegistryError(503, 'the credential kept changing; retry');
  }

  /** The request must come from the job's host, when that host's addresses are known. */
  private async checkHost(host: string, remoteAddress: string) {
    if (!this.opts.hostCheck) return;
    const addresses = await (this.opts.resolveHost ?? resolveHost)(host);
    if (addresses.length && !addresses.includes(remoteAddress)) {
      throw new RegistryError(403, `the launcher credential may only be used from the job's host ${host}`);
    }
  }

  /** Fails the spawn with the launcher's 'api-token-taken', if it is still that spawn starting. */
  private async failSpawn(stream: string, spawnId: string, remoteAddress: string) {
    await decideAndAppend(
      this.pool,
      stream,
      (events) => {
        const state = foldServer(events);
        if (state.spawnId !== spawnId || !isPending(state)) return undefined;
        return {
          events: [
            newEvent('LauncherReported', {
              spawnId,
              stage: 'preflight',
              diagnosis: 'api-token-taken',
              message: "The notebook's one-time start credential was used by two processes",
              exitCode: null,
              stderrTail: '',
              host: state.host,
              detail: `a second exchange of the launcher credential came from ${remoteAddress}`,
            }),
          ],
        };
      },
      { metadata: { correlationId: spawnId, actor: 'port-registry' } },
    );
  }

  /** Asks for a poll and reads the server stream until the decision no longer waits for the run, or the wait is over. */
  private async waitForRun(stream: string, credential: LauncherCredential, ask: ExchangeAsk): Promise<EventEnvelope[]> {
    this.opts.poke?.();
    const deadline = Date.now() + this.opts.hostWaitMs;
    const waiting = (events: EventEnvelope[]) =>
      decideTokenExchange(credential, events, foldServer(events), ask, false).kind === 'wait-for-run';
    let events = await readStream(this.pool, stream);
    while (Date.now() < deadline && waiting(events)) {
      await new Promise((r) => setTimeout(r, 100));
      events = await readStream(this.pool, stream);
    }
    return events;
  }
}

export function parseExchangeBody(body: unknown): { spawnId: string; secret: string; launcherKey: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new RegistryError(400, 'body must be a JSON object like {"bootstrap": "...", "launcherKey": "..."}');
  }
  const { bootstrap, launcherKey } = body as Record<string, unknown>;
  const m = typeof bootstrap === 'string' ? /^([0-9a-f-]{36})\.([0-9a-f]{64})$/.exec(bootstrap) : null;
  if (!m || !SpawnId.safeParse(m[1]).success) {
    throw new RegistryError(400, 'bootstrap must be the job\'s CONDORHUB_LAUNCHER_BOOTSTRAP ("<spawnId>.<64 hex>")');
  }
  if (typeof launcherKey !== 'string' || !/^[0-9a-f]{64}$/.test(launcherKey)) {
    throw new RegistryError(400, 'launcherKey must be 64 hex digits');
  }
  return { spawnId: m[1], secret: m[2], launcherKey };
}

/** A host's addresses; none when it does not resolve in time (the check is then skipped). */
export async function resolveHost(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host.toLowerCase()];
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      dns.promises.lookup(host, { all: true }),
      new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error('timeout')), RESOLVE_TIMEOUT_MS))),
    ]);
    return found.map((a) => a.address.toLowerCase());
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}
