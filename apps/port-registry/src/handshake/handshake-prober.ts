import type { Pool } from 'pg';
import { type EventEnvelope, newEvent, serverPrefix, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend, readStream } from '@condorhub/event-store';
import { type LifecycleSettings, type ServerState, foldServer, followUp } from '@condorhub/server-lifecycle';

export interface HandshakeTarget {
  user: string;
  serverName: string;
  spawnId: string;
  host: string;
  port: number;
}

/**
 * Asks the notebook `GET /user/<name>/[<server>/]api` until it answers below 500, then records
 * NotebookResponded. It gives up when the spawn leaves `port-reported` (the spawner's
 * handshake timer fires HandshakeFailed) or after `maxS`.
 */
export class HandshakeProber {
  private readonly active = new Map<string, AbortController>();

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
    if (this.active.get(t.spawnId)?.signal.aborted === false) return;
    const abort = new AbortController();
    this.active.set(t.spawnId, abort);
    void recorded.then((stored) => stored === false && abort.abort());
    void this.run(t, abort.signal, recorded).finally(() => {
      if (this.active.get(t.spawnId) === abort) this.active.delete(t.spawnId);
    });
  }

  stopAll(): void {
    for (const a of this.active.values()) a.abort();
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
    while (!signal.aborted && Date.now() < deadline) {
      attempt++;
      try {
        const res = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 3_000)]),
          redirect: 'manual',
        });
        const body = await res.text();
        if (res.status < 500) {
          let version: string | null = null;
          try {
            const v = JSON.parse(body)?.version;
            version = typeof v === 'string' ? v.slice(0, 100) : null;
          } catch {
            // Not JSON: still an answer (a redirect to login, say).
          }
          const stored = await recorded;
          if (stored === false || signal.aborted) return;
          await this.record(
            t,
            { url, version, status: res.status, attempts: attempt, waitedMs: Date.now() - startedAt },
            stored,
          );
          return;
        }
      } catch {
        // Not listening yet: keep asking.
      }
      // Only a stored report can be waited on (its append takes milliseconds, this check comes seconds in).
      if (attempt % 10 === 0 && ((await recorded) === false || !(await this.stillWaiting(t)))) return;
      // The launcher reports before the notebook listens: ask again soon, then back off.
      await new Promise((r) => setTimeout(r, Math.min(this.opts.intervalMs ?? 300, 20 * 2 ** (attempt - 1))));
    }
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
        const next = followUp(state, [answered], this.opts.lifecycle);
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

const isWaiting = (state: ServerState, t: HandshakeTarget) =>
  state.spawnId === t.spawnId && state.phase === 'port-reported';
