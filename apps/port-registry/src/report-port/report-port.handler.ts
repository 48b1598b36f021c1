import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { type EventEnvelope, newEvent, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream, readStream } from '@condorhub/event-store';
import { type ServerState, foldServer } from '@condorhub/server-lifecycle';
import { RegistryError, requireServerToken } from '../auth/server-token';
import type { HandshakeProber, HandshakeTarget } from '../handshake/handshake-prober';

/**
 * 'requested' too: the token exists before condor_submit returns, and a fast job can report
 * before the spawner has recorded JobSubmitted; such a report waits for the job to run.
 */
const WAITING_FOR_PORT = new Set(['requested', 'submitted', 'queued', 'starting']);
/** A port was reported before: a new report is a new run of the job (see isNewRun). */
const REPORTED = new Set(['port-reported', 'routing', 'ready']);
/** HTCondor started the job again since its last port report. */
const isNewRun = (s: ServerState) => !!s.reported && (s.runs ?? 0) > s.reported.run;
/** Appends lost to concurrent writers (poller, spawner) before giving up with a retryable 503. */
const APPEND_ATTEMPTS = 20;

/**
 * batchspawner's port report: the token names exactly one spawn, which must be waiting for
 * its port, or have reported one before and be running again (HTCondor rescheduled the job,
 * or its launcher restarted): then the route moves once the new target answers. Then the
 * handshake starts. A repeat of the same report is accepted (the launcher retries after a
 * lost reply); anything else changes nothing.
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
    const user = record.owner;
    const serverName = record.serverName ?? '';
    const stream = serverStreamId(user, serverName);

    // The handshake starts alongside the first append that can succeed, and records its answer
    // only once PortReported is stored (its gate); a report that ends without storing closes it.
    let settle: ((stored: EventEnvelope[] | false) => void) | undefined;
    try {
      for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
        // Spread concurrent retries a little; a conflict means another writer just got in.
        if (attempt) await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt, 5)));
        let { events, state } = await this.load(stream);
        if (state.spawnId !== record.spawnId) throw new RegistryError(409, 'stale token: that spawn is over');
        if (!WAITING_FOR_PORT.has(state.phase)) {
          if (!REPORTED.has(state.phase) || !state.reported) {
            throw new RegistryError(409, `server is not waiting for a port (it is ${state.phase})`);
          }
          // Reported before: the same report again (a retry after a lost reply), or the job
          // running again (rescheduled by HTCondor, or its launcher restarted) with a new port.
          if (!isNewRun(state) && state.reported.port === port) return { message: 'port already recorded' };
          // A new port on what looks like the same run: the poller may not have seen the job
          // start again yet (elsewhere, perhaps); ask it, and wait a little for it to say so.
          if (!isNewRun(state)) ({ events, state } = await this.waitForNewRun(stream, { events, state }));
          if (state.spawnId !== record.spawnId || !REPORTED.has(state.phase)) continue;
        }
        if (!state.host) ({ events, state } = await this.waitForHost(stream, { events, state }));
        if (!state.host) {
          throw new RegistryError(503, 'the job is not known to be running yet; retry in a few seconds');
        }
        settle ??= this.startHandshake({ user, serverName, spawnId: state.spawnId!, host: state.host, port });
        let stored;
        try {
          stored = await appendToStream(
            this.pool,
            stream,
            [newEvent('PortReported', { spawnId: state.spawnId!, host: state.host, port })],
            {
              expectedVersion: state.streamVersion,
              metadata: { correlationId: state.spawnId, actor: 'port-registry' },
            },
          );
        } catch (error) {
          if (error instanceof WrongExpectedVersionError) continue;
          throw error;
        }
        // The stream as stored: the answer is recorded on it without reading it again.
        settle([...events, stored.last]);
        return { message: 'BatchSpawner data configured' };
      }
      // Retryable: the launcher asks again on a 5xx, but gives up on a 4xx.
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
   * A new port without a new JobRunning: the job may have started again elsewhere before the
   * poller noticed. Ask for a poll and wait for it; without one the job's launcher restarted
   * on the same host, and the report stands there.
   */
  private async waitForNewRun(stream: string, loaded: Loaded): Promise<Loaded> {
    this.opts.poke?.();
    const deadline = Date.now() + this.opts.newRunWaitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      loaded = await this.load(stream);
      if (isNewRun(loaded.state) || !REPORTED.has(loaded.state.phase)) return loaded;
    }
    return loaded;
  }

  /** A fast launcher can report before the poller saw the job run: ask for a poll and wait. */
  private async waitForHost(stream: string, loaded: Loaded): Promise<Loaded> {
    this.opts.poke?.();
    const deadline = Date.now() + this.opts.hostWaitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      loaded = await this.load(stream);
      if (loaded.state.host || !WAITING_FOR_PORT.has(loaded.state.phase)) return loaded;
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
