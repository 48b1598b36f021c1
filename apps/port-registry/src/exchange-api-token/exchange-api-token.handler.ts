import { timingSafeEqual } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import type { Pool } from 'pg';
import { type EventEnvelope, SpawnId, launcherStreamId, newEvent, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream, readStream } from '@condorhub/event-store';
import { type ServerState, foldServer, isPending } from '@condorhub/server-lifecycle';
import { hashToken, issueToken, revokeToken, serverTokenScopes, verifyToken } from '@condorhub/tokens';
import { RegistryError } from '../auth/server-token';
import { foldLauncherCredential } from './launcher-credential';

/** The job may run before the poller has recorded it: the launcher is asked to retry (503). */
const NOT_YET_RUNNING = new Set(['requested', 'submitted', 'queued']);
/** JobRunning recorded and not stopping: the launcher may be asking. */
const LIVE = new Set(['starting', 'port-reported', 'routing', 'ready']);
const APPEND_ATTEMPTS = 10;
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
 * The launcher trades its spawn's one-time bootstrap credential for the server API token.
 * Only the latest credential of a live spawn (JobRunning recorded, not stopping), before it
 * expires, from the host the job runs on (when its address is known). The first exchange is
 * recorded (ApiTokenIssued, with the hash of the launcher's key); the same launcher asking again
 * (its reply was lost) gets a new token and the earlier one is revoked; any other process
 * asking again is refused, recorded (ApiTokenExchangeRefused) and the spawn is failed: one of
 * the two is not the launcher and may hold the token. Everything else is refused and changes
 * nothing.
 */
export class ExchangeApiTokenHandler {
  constructor(
    private readonly pool: Pool,
    private readonly opts: ExchangeApiTokenOptions,
  ) {}

  async handle(body: unknown, remoteAddress: string): Promise<{ token: string }> {
    const { spawnId, secret, launcherKey } = parseExchangeBody(body);
    const launcherKeyHash = hashToken(launcherKey);
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const credential = foldLauncherCredential(await readStream(this.pool, launcherStreamId(spawnId)));
      const bootstrap = credential.bootstrap;
      if (!bootstrap || !sameHash(bootstrap.hash, hashToken(secret))) {
        throw new RegistryError(401, 'unknown or forged launcher credential');
      }
      if (Date.parse(bootstrap.expiresAt) <= Date.now()) {
        throw new RegistryError(401, 'the launcher credential has expired');
      }
      const stream = serverStreamId(bootstrap.user, bootstrap.serverName);
      let events = await readStream(this.pool, stream);
      let state = foldServer(events);
      // Not running yet, or between two runs (evicted, matched again): the poller may not have
      // recorded this run's JobRunning yet.
      if (state.spawnId === spawnId && !runningNow(events, spawnId))
        ({ events, state } = await this.waitForRun(stream, spawnId));
      if (state.spawnId !== spawnId || !(LIVE.has(state.phase) || NOT_YET_RUNNING.has(state.phase))) {
        throw new RegistryError(409, `that spawn is over (${state.spawnId === spawnId ? state.phase : 'superseded'})`);
      }
      if (!state.host || !runningNow(events, spawnId))
        throw new RegistryError(503, 'the job is not known to be running yet; retry in a few seconds');
      await this.checkHost(state.host, remoteAddress);

      // HTCondor may run the job again (evicted, rescheduled): a new launcher with the same
      // credential and a new key. It counts as the launcher once JobRunning was recorded again.
      const lastRunning = events
        .filter((e) => e.type === 'JobRunning' && (e.data as { spawnId: string }).spawnId === spawnId)
        .at(-1);
      const ranAgain =
        credential.issued !== undefined &&
        lastRunning !== undefined &&
        BigInt(lastRunning.globalPosition) > credential.issued.position;
      if (credential.issued && !ranAgain && !sameHash(credential.issued.launcherKeyHash, launcherKeyHash)) {
        try {
          await appendToStream(
            this.pool,
            launcherStreamId(spawnId),
            [
              newEvent('ApiTokenExchangeRefused', {
                spawnId,
                reason: 'already-exchanged',
                launcherKeyHash,
                remoteAddress: remoteAddress.slice(0, 255),
              }),
            ],
            { expectedVersion: credential.streamVersion, metadata: { correlationId: spawnId, actor: 'port-registry' } },
          );
        } catch (error) {
          if (error instanceof WrongExpectedVersionError) continue;
          throw error;
        }
        // A spawn already past its start keeps running: its launcher was the first, it holds the token.
        if (isPending(state)) await this.failSpawn(stream, state, remoteAddress);
        throw new RegistryError(
          409,
          "this spawn's launcher credential was already exchanged by another process; the spawn is being stopped",
        );
      }

      const token = await issueToken(this.pool, {
        owner: bootstrap.user,
        kind: 'server',
        spawnId,
        serverName: bootstrap.serverName,
        scopes: serverTokenScopes(bootstrap.user, bootstrap.serverName),
        note: `server token of spawn ${spawnId}`,
      });
      const tokenId = (await verifyToken(this.pool, token))!.id;
      try {
        await appendToStream(
          this.pool,
          launcherStreamId(spawnId),
          [
            newEvent('ApiTokenIssued', {
              spawnId,
              tokenId,
              launcherKeyHash,
              remoteAddress: remoteAddress.slice(0, 255),
            }),
          ],
          { expectedVersion: credential.streamVersion, metadata: { correlationId: spawnId, actor: 'port-registry' } },
        );
      } catch (error) {
        // Not recorded, so never handed out.
        await revokeToken(this.pool, tokenId);
        if (error instanceof WrongExpectedVersionError) continue;
        throw error;
      }
      // The same launcher again (or the job's next run): the earlier token is of no use to anyone.
      if (credential.issued) await revokeToken(this.pool, credential.issued.tokenId);
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

  private async failSpawn(stream: string, state: ServerState, remoteAddress: string) {
    await appendToStream(
      this.pool,
      stream,
      [
        newEvent('LauncherReported', {
          spawnId: state.spawnId!,
          stage: 'preflight',
          diagnosis: 'api-token-taken',
          message: "The notebook's one-time start credential was used by two processes",
          exitCode: null,
          stderrTail: '',
          host: state.host,
          detail: `a second exchange of the launcher credential came from ${remoteAddress}`,
        }),
      ],
      { metadata: { correlationId: state.spawnId!, actor: 'port-registry' } },
    );
  }

  private async waitForRun(stream: string, spawnId: string): Promise<{ events: EventEnvelope[]; state: ServerState }> {
    this.opts.poke?.();
    const deadline = Date.now() + this.opts.hostWaitMs;
    let events = await readStream(this.pool, stream);
    let state = foldServer(events);
    const waiting = () =>
      state.spawnId === spawnId &&
      (NOT_YET_RUNNING.has(state.phase) || LIVE.has(state.phase)) &&
      !runningNow(events, spawnId);
    while (Date.now() < deadline && waiting()) {
      await new Promise((r) => setTimeout(r, 100));
      events = await readStream(this.pool, stream);
      state = foldServer(events);
    }
    return { events, state };
  }
}

/** The spawn's job is running as far as the events tell: its latest job state is JobRunning. */
function runningNow(events: EventEnvelope[], spawnId: string): boolean {
  const last = events
    .filter((e) => JOB_STATES.has(e.type) && (e.data as { spawnId?: string }).spawnId === spawnId)
    .at(-1);
  return last?.type === 'JobRunning';
}
const JOB_STATES = new Set(['JobIdle', 'JobRunning', 'JobHeld']);

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

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
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
