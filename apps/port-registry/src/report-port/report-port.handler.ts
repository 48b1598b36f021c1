import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { type EventEnvelope, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend, readStream } from '@condorhub/event-store';
import {
  type PortReport,
  type PortReportWaits,
  type ServerState,
  decidePortReport,
  foldServer,
} from '@condorhub/server-lifecycle';
import { RegistryError, requireServerToken } from '../auth/server-token';
import type { HandshakeProber, HandshakeTarget } from '../handshake/handshake-prober';

/** Appends lost to concurrent writers (poller, spawner) before giving up with a retryable 503. */
const APPEND_ATTEMPTS = 20;
/** Times the stream turned into something else between a decision and its append (then: decide anew). */
const ROUNDS = 5;

/**
 * batchspawner's port report: decidePortReport says whether the spawn takes it, waits for the
 * poller, or refuses; then the handshake starts. A repeat of the same report is accepted (the
 * launcher retries after a lost reply); anything else changes nothing.
 */
export class ReportPortHandler {
  constructor(
    private readonly pool: Pool,
    private readonly prober: HandshakeProber,
    private readonly opts: { hostWaitMs: number; newRunWaitMs: number; poke?: () => void; nc?: NatsConnection },
  ) {}

  async handle(token: string | undefined, body: unknown): Promise<{ message: string }> {
    const record = await requireServerToken(this.pool, token);
    const port = parsePort(body);
    // requireServerToken refused tokens without a spawn already; this tells the compiler.
    if (!record.spawnId) throw new RegistryError(409, 'stale token: that spawn is over');
    const report: PortReport = { spawnId: record.spawnId, port };
    const user = record.owner;
    const serverName = record.serverName ?? '';
    const stream = serverStreamId(user, serverName);
    // Each wait happens once per request, however often the decision is made again.
    const waited: PortReportWaits = { newRun: false, host: false };

    // The handshake starts alongside the first append that can succeed, and records its answer
    // only once PortReported is stored (its gate); a report that ends without storing closes it.
    let settle: ((stored: EventEnvelope[] | false) => void) | undefined;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        let loaded = await this.load(stream);
        let verdict = decidePortReport(loaded.state, report, waited);
        while (verdict.kind === 'wait') {
          loaded = await this.waitFor(verdict.for, stream, loaded, report, waited);
          waited[verdict.for] = true;
          verdict = decidePortReport(loaded.state, report, waited);
        }
        if (verdict.kind === 'refuse') throw new RegistryError(verdict.status, verdict.message);
        if (verdict.kind === 'repeat') return { message: 'port already recorded' };
        settle ??= this.startHandshake({
          user,
          serverName,
          spawnId: report.spawnId,
          host: loaded.state.host!,
          port: report.port,
        });
        const stored = settle;
        let decidedOn = loaded.events;
        const result = await decideAndAppend(
          this.pool,
          stream,
          (events) => {
            decidedOn = events;
            const again = decidePortReport(foldServer(events), report, waited);
            return again.kind === 'accept' ? { events: again.events } : undefined;
          },
          {
            known: loaded.events,
            attempts: APPEND_ATTEMPTS,
            metadata: { correlationId: report.spawnId, actor: 'port-registry' },
            // The stream as stored: the answer is recorded on it without reading it again.
            onAppended: (last) => stored([...decidedOn, last]),
          },
        );
        // Retryable: the launcher asks again on a 5xx, but gives up on a 4xx.
        if (result === 'conflict') break;
        if (result !== 'declined') return { message: 'BatchSpawner data configured' };
        // Declined: the stream changed meanwhile (a repeat stored, the spawn over): decide anew.
      }
      throw new RegistryError(503, 'the server kept changing; retry');
    } finally {
      // Anything but a stored report: the probe started alongside it stops (no-op once settled).
      settle?.(false);
    }
  }

  /** Starts the handshake; the returned function gives it the stream with PortReported stored, or false. */
  private startHandshake(target: HandshakeTarget): (stored: EventEnvelope[] | false) => void {
    let settle!: (stored: EventEnvelope[] | false) => void;
    this.prober.start(target, new Promise<EventEnvelope[] | false>((resolve) => (settle = resolve)));
    return settle;
  }

  private async load(stream: string): Promise<Loaded> {
    const events = await readStream(this.pool, stream);
    return { events, state: foldServer(events) };
  }

  /**
   * Asks for a poll and looks again until the decision no longer waits for `what`, or the wait
   * is over: a fast launcher can report before the poller saw the job run (host), and a new
   * port without a new JobRunning may be the job started again elsewhere (newRun); without
   * one, its launcher restarted on the same host and the report stands there.
   */
  private async waitFor(
    what: keyof PortReportWaits,
    stream: string,
    loaded: Loaded,
    report: PortReport,
    waited: PortReportWaits,
  ): Promise<Loaded> {
    this.opts.poke?.();
    const deadline = Date.now() + (what === 'host' ? this.opts.hostWaitMs : this.opts.newRunWaitMs);
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      loaded = await this.load(stream);
      const verdict = decidePortReport(loaded.state, report, waited);
      if (verdict.kind !== 'wait' || verdict.for !== what) return loaded;
    }
    return loaded;
  }
}

interface Loaded {
  events: EventEnvelope[];
  state: ServerState;
}

export function parsePort(body: unknown): number {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new RegistryError(400, 'body must be a JSON object like {"port": 8888}');
  }
  const port = (body as Record<string, unknown>).port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RegistryError(400, 'port must be an integer from 1 to 65535');
  }
  return port;
}
