import type { Pool } from 'pg';
import { type EventEnvelope, newEvent, serverPrefix, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend, readStream } from '@condorhub/event-store';
import { type LifecycleSettings, type ServerState, foldServer, followUp, timerKeys } from '@condorhub/server-lifecycle';

export interface HandshakeTarget {
  user: string;
  serverName: string;
  spawnId: string;
  host: string;
  port: number;
}

/**
 * Wrong answers in a row, over at least WRONG_FOR_MS, before the handshake concludes that what
 * listens on the port is not this spawn's notebook (one odd answer from a notebook still
 * starting is not proof).
 */
const WRONG_ANSWERS = 5;
const WRONG_FOR_MS = 1_000;

/**
 * Asks the notebook `GET /user/<name>/[<server>/]api` until it answers as this spawn's Jupyter
 * server does: 200 with a JSON `{"version": …}` (jupyter_server's version handler, which needs
 * no login, under the base URL that only this user's server has). Then it records
 * NotebookResponded. Anything else that answers (a 404 from another user's notebook on the
 * reported port, a redirect, a page) proves nothing, so it never becomes a route: answered
 * that way again and again, the handshake records HandshakeFailed saying so, and the server
 * that does listen there keeps its route. It gives up when the spawn leaves `port-reported`
 * (the spawner's handshake timer fires HandshakeFailed) or after `maxS`.
 */
export class HandshakeProber {
  private readonly active = new Map<string, { abort: AbortController; target: string }>();

  constructor(
    private readonly pool: Pool,
    private readonly opts: {
      intervalMs?: number;
      requestTimeoutMs?: number;
      maxS: number;
      /** The lifecycle's timeouts, for the follow-up recorded with the answer (RouteRequested). */
      lifecycle: LifecycleSettings;
      /** The stored RouteRequested, right after its commit (the proxy need not wait for the relay). */
      announce?: (event: EventEnvelope) => void;
      log?: (l: string) => void;
    },
  ) {}

  get probing(): number {
    return this.active.size;
  }

  /**
   * `recorded`: the port report's own append, when the probe starts alongside it (the notebook
   * is asked while PortReported commits). An answer is recorded only once it resolves to the
   * stream as stored (the answer is decided on it without reading it again); false ends the
   * probe. Without it the stream is read when the answer comes.
   */
  start(t: HandshakeTarget, recorded: Promise<EventEnvelope[] | false | undefined> = Promise.resolve(undefined)): void {
    const current = this.active.get(t.spawnId);
    if (current && !current.abort.signal.aborted) {
      if (current.target === `${t.host}:${t.port}`) return;
      // The job runs again elsewhere (rescheduled): its old target is no longer the one to ask.
      current.abort.abort();
    }
    const probe = { abort: new AbortController(), target: `${t.host}:${t.port}` };
    const abort = probe.abort;
    this.active.set(t.spawnId, probe);
    void recorded.then((stored) => stored === false && abort.abort());
    void this.run(t, abort.signal, recorded).finally(() => {
      if (this.active.get(t.spawnId) === probe) this.active.delete(t.spawnId);
    });
  }

  stopAll(): void {
    for (const a of this.active.values()) a.abort.abort();
    this.active.clear();
  }

  private async stillWaiting(t: HandshakeTarget): Promise<boolean> {
    return isWaiting(foldServer(await readStream(this.pool, serverStreamId(t.user, t.serverName))), t);
  }

  private async run(t: HandshakeTarget, signal: AbortSignal, recorded: Promise<EventEnvelope[] | false | undefined>) {
    const url = `http://${t.host}:${t.port}${serverPrefix(t.user, t.serverName)}api`;
    const startedAt = Date.now();
    const deadline = startedAt + this.opts.maxS * 1000;
    let attempt = 0;
    let wrong: { count: number; since: number; status: number; why: string } | undefined;
    while (!signal.aborted && Date.now() < deadline) {
      attempt++;
      try {
        const res = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 3_000)]),
          redirect: 'manual',
        });
        const answer = notebookAnswer(res.status, await res.text());
        if (answer.ok) {
          const stored = await recorded;
          if (stored === false || signal.aborted) return;
          await this.record(
            t,
            { url, version: answer.version, status: res.status, attempts: attempt, waitedMs: Date.now() - startedAt },
            stored,
          );
          return;
        }
        if (res.status < 500) {
          wrong = wrong ? { ...wrong, count: wrong.count + 1 } : { count: 1, since: Date.now(), status: 0, why: '' };
          wrong.status = res.status;
          wrong.why = answer.why;
          if (wrong.count >= WRONG_ANSWERS && Date.now() - wrong.since >= WRONG_FOR_MS) {
            const stored = await recorded;
            if (stored === false || signal.aborted) return;
            const error =
              `GET ${url} answered ${answer.why}: what listens on ${t.host}:${t.port} is not this spawn's notebook ` +
              `(its base URL ${serverPrefix(t.user, t.serverName)} is not served there; another server on the node?)`;
            this.opts.log?.(`handshake of ${t.user}/${t.serverName}: ${error}`);
            await this.refuse(t, { url, status: res.status, error }, stored);
            return;
          }
        } else wrong = undefined;
      } catch {
        // Not listening yet: keep asking.
        wrong = undefined;
      }
      // Only a stored report can be waited on (its append takes milliseconds, this check comes seconds in).
      if (attempt % 10 === 0 && ((await recorded) === false || !(await this.stillWaiting(t)))) return;
      // The launcher reports before the notebook listens: ask again soon, then back off.
      await new Promise((r) => setTimeout(r, Math.min(this.opts.intervalMs ?? 300, 20 * 2 ** (attempt - 1))));
    }
  }

  /** The port answers, but not as this spawn's notebook: the spawn fails, nothing is routed. */
  private async refuse(
    t: HandshakeTarget,
    failure: { url: string; status: number; error: string },
    known: EventEnvelope[] | undefined,
  ) {
    await decideAndAppend(
      this.pool,
      serverStreamId(t.user, t.serverName),
      (stream) =>
        isWaiting(foldServer(stream), t)
          ? {
              events: [newEvent('HandshakeFailed', { spawnId: t.spawnId, ...failure })],
              cancelTimers: [timerKeys(t.spawnId).handshake],
            }
          : undefined,
      { metadata: { correlationId: t.spawnId, actor: 'port-registry' }, known },
    );
  }

  private async record(
    t: HandshakeTarget,
    answer: { url: string; version: string | null; status: number; attempts: number; waitedMs: number },
    known: EventEnvelope[] | undefined,
  ) {
    const announce = this.opts.announce;
    await decideAndAppend(
      this.pool,
      serverStreamId(t.user, t.serverName),
      (stream) => {
        const state = foldServer(stream);
        if (!isWaiting(state, t)) return undefined;
        const answered = newEvent('NotebookResponded', { spawnId: t.spawnId, ...answer });
        // The route request goes with the answer, in one transaction (see followUp).
        const next = followUp(state, [answered], this.opts.lifecycle, new Date());
        return { events: [answered, ...next.append], cancelTimers: next.cancel };
      },
      {
        metadata: { correlationId: t.spawnId, actor: 'port-registry' },
        known,
        // RouteRequested goes last (followUp).
        onAppended: announce && ((last) => last.type === 'RouteRequested' && announce(last)),
      },
    );
  }
}

/** Still waiting for this target's answer (a rescheduled job's new report replaces the target). */
const isWaiting = (state: ServerState, t: HandshakeTarget) =>
  state.spawnId === t.spawnId && state.phase === 'port-reported' && state.port === t.port && state.host === t.host;

/** Whether an answer is this spawn's Jupyter server: 200 and `{"version": "<string>"}` as JSON. */
export function notebookAnswer(
  status: number,
  body: string,
): { ok: true; version: string } | { ok: false; why: string } {
  if (status !== 200) return { ok: false, why: `HTTP ${status}` };
  let version: unknown;
  try {
    version = JSON.parse(body)?.version;
  } catch {
    return { ok: false, why: 'HTTP 200 that is not JSON' };
  }
  if (typeof version !== 'string' || !version) return { ok: false, why: 'HTTP 200 without a Jupyter version' };
  return { ok: true, version: version.slice(0, 100) };
}
