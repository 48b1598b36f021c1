import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import {
  type EventEnvelope,
  deadLetterSubject,
  eventSubjectFilter,
  parseEnvelope,
  replaySubject,
} from '@condorhub/contracts';
import { isStoreUnavailable, recordDeadLetter } from '@condorhub/event-store';
import { consumerDeadLetters, consumerRedeliveries, registerReadinessCheck } from '@condorhub/metrics';

export interface DurableConsumerOptions {
  nc: NatsConnection;
  streamName: string;
  prefix: string;
  /** Durable name: the consumer's position survives restarts under it. */
  durable: string;
  /** Event types to handle; others are acked and skipped. Empty = all. */
  types?: string[];
  handle(event: EventEnvelope): Promise<void>;
  /**
   * Where dead letters are recorded (table `dead_letters`), for `condorhub dead-letters` to list
   * and replay. Without it they only go to the dead-letter subject and the log.
   */
  pool?: Pool;
  /** Failed attempts before a message goes to the dead letters (a store outage is not one). */
  maxDeliver?: number;
  /** Delay before each redelivery after a failure. */
  backoffMs?: number[];
  ackWaitMs?: number;
  /** Longest wait between two tries of a handler while the store is unreachable. */
  outageRetryMaxMs?: number;
  /**
   * Events handled at once. Events of one stream (or `keyOf`) still run one after another, in
   * order; different servers do not wait for each other's slow condor calls.
   */
  concurrency?: number;
  keyOf?: (msg: JsMsg) => string;
  log?: (line: string) => void;
}

const ns = (ms: number) => ms * 1_000_000;

/**
 * A durable JetStream pull consumer with explicit ack.
 *
 * - From the moment a message is taken until it is acked, it is kept alive with in-progress
 *   acks, so a slow condor_submit (or a wait behind one) does not get it redelivered meanwhile.
 * - A handler that fails because the store is unreachable (PostgreSQL down, restarting,
 *   connections cut) is tried again in place, with capped backoff, for as long as the outage
 *   lasts: the failure is the store's, not the message's, and does not count. No new message
 *   is started until the store answers again.
 * - Any other failure is retried with backoff; after `maxDeliver` such attempts, or at once for
 *   a message that does not parse, the message is a dead letter: recorded (`pool`), published
 *   to `<prefix>.dead-letter.<durable>`, logged, and terminated so it never blocks the messages
 *   behind it. `condorhub dead-letters replay` sends it back on `<prefix>.events.replay.<durable>`.
 *
 * JetStream's own delivery limit is off: it would drop a message silently.
 */
export class DurableConsumer {
  private running = false;
  private loop?: Promise<void>;
  private stopCurrent?: () => void;
  private readonly types?: Set<string>;
  private readonly stopped = new AbortController();
  private readonly failures = new Map<number, number>();
  /** Set while the store is unreachable; resolved when a handler gets through again. */
  private storeBack?: { promise: Promise<void>; resolve: () => void };
  /** A pull is open on the server (false while the loop is resuming after an error). */
  private consuming = false;
  private lastError = 'not started';
  private unregister?: () => void;

  constructor(private readonly opts: DurableConsumerOptions) {
    this.types = opts.types?.length ? new Set(opts.types) : undefined;
  }

  private get maxDeliver() {
    return this.opts.maxDeliver ?? 5;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const jsm = await jetstreamManager(o.nc, { timeout: 10_000 });
    // Creating an existing durable updates it in place (an upgrade from a bounded max_deliver).
    await jsm.consumers.add(o.streamName, {
      durable_name: o.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: eventSubjectFilter(o.prefix),
      ack_wait: ns(o.ackWaitMs ?? 30_000),
      max_deliver: -1,
      max_ack_pending: 1_000,
    });
    this.running = true;
    this.loop = this.run();
    this.unregister = registerReadinessCheck(`consumer ${o.durable}`, () => {
      if (!this.consuming) throw new Error(this.lastError);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unregister?.();
    this.stopped.abort();
    this.storeIsBack();
    this.stopCurrent?.();
    await this.loop;
  }

  private async run() {
    const js = jetstream(this.opts.nc, { timeout: 10_000 });
    while (this.running) {
      try {
        const consumer = await js.consumers.get(this.opts.streamName, this.opts.durable);
        // Messages buffered here are not kept alive until taken: buffer a few per slot, not hundreds.
        const perSlot = 4 * (this.opts.concurrency ?? 1);
        const messages = await consumer.consume({ max_messages: Math.min(200, Math.max(20, perSlot)), expires: 5_000 });
        this.consuming = true;
        this.stopCurrent = () => void messages.stop();
        if (!this.running) messages.stop();
        await this.drain(messages);
      } catch (error) {
        [this.consuming, this.lastError] = [false, `resuming after: ${String(error)}`];
        this.opts.log?.(`consumer ${this.opts.durable}: ${String(error)}; resuming`);
        if (this.running) await this.sleep(500);
      }
    }
  }

  private async drain(messages: AsyncIterable<JsMsg>) {
    const limit = this.opts.concurrency ?? 1;
    const tails = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    // The stream id travels in a header, so ordering needs no parse.
    const keyOf = this.opts.keyOf ?? ((m: JsMsg) => m.headers?.get('Condorhub-Stream') || m.subject);
    for await (const msg of messages) {
      // Kept alive from now on: it may wait for a free slot, for its stream's earlier events, or
      // for the store to come back, far longer than the ack wait.
      const beat = this.keepAlive(msg);
      // No new work while the store is unreachable: the events already taken wait with the rest.
      if (this.storeBack) await this.storeBack.promise;
      if (limit <= 1) {
        await this.deliver(msg, beat);
        continue;
      }
      while (inFlight.size >= limit) await Promise.race(inFlight);
      const key = keyOf(msg);
      const run = (tails.get(key) ?? Promise.resolve()).then(() => this.deliver(msg, beat));
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      inFlight.add(tail);
      void tail.finally(() => {
        inFlight.delete(tail);
        if (tails.get(key) === tail) tails.delete(key);
      });
    }
    await Promise.all(inFlight);
  }

  /** In-progress acks every third of the ack wait, until the returned function is called. */
  private keepAlive(msg: JsMsg): () => void {
    const ackWaitMs = this.opts.ackWaitMs ?? 30_000;
    const timer = setInterval(
      () => {
        try {
          msg.working();
        } catch {
          // The connection is closing: JetStream redelivers the message, which is all that is left.
        }
      },
      Math.max(100, Math.floor(ackWaitMs / 3)),
    );
    return () => clearInterval(timer);
  }

  private async deliver(msg: JsMsg, beat: () => void) {
    try {
      await this.handleMessage(msg);
    } finally {
      beat();
    }
  }

  private async handleMessage(msg: JsMsg) {
    // Replays are addressed to one durable; the others let them pass.
    if (msg.subject.startsWith(replaySubject(this.opts.prefix, ''))) {
      if (msg.subject !== replaySubject(this.opts.prefix, this.opts.durable)) return msg.ack();
    }
    let event: EventEnvelope;
    try {
      event = parseEnvelope(msg.json());
    } catch (error) {
      return this.deadLetter(msg, `unparseable: ${String(error)}`);
    }
    if (this.types && !this.types.has(event.type)) return msg.ack();
    if (msg.info.deliveryCount > 1) consumerRedeliveries.inc({ consumer: this.opts.durable });
    for (let outage = 0; ; outage++) {
      try {
        await this.opts.handle(event);
        this.failures.delete(msg.seq);
        this.storeIsBack();
        msg.ack();
        return;
      } catch (error) {
        if (isStoreUnavailable(error) && this.running) {
          this.storeIsDown();
          // Said once, then every minute or so: an outage is not a reason to flood the log.
          if (outage % 30 === 0) {
            this.opts.log?.(
              `consumer ${this.opts.durable}: ${event.type} ${event.eventId} waits for the store: ${String(error)}`,
            );
          }
          await this.sleep(Math.min(250 * 2 ** Math.min(outage, 8), this.opts.outageRetryMaxMs ?? 5_000));
          continue;
        }
        if (!this.running) return msg.nak();
        this.storeIsBack();
        return this.failed(msg, event, error);
      }
    }
  }

  /**
   * The handler's own failures of this message, counted here rather than by JetStream's delivery
   * count, which also counts redeliveries nobody failed (a message that waited out an outage, a
   * restart). A restart forgets them: the message then gets its attempts again, never fewer.
   */
  private failed(msg: JsMsg, event: EventEnvelope, error: unknown) {
    const backoff = this.opts.backoffMs ?? [500, 2_000, 10_000, 30_000];
    const attempt = (this.failures.get(msg.seq) ?? 0) + 1;
    if (attempt >= this.maxDeliver) {
      this.failures.delete(msg.seq);
      return this.deadLetter(msg, `failed ${attempt} times: ${String(error)}`, event);
    }
    if (this.failures.size > 10_000) this.failures.clear();
    this.failures.set(msg.seq, attempt);
    this.opts.log?.(`consumer ${this.opts.durable}: ${event.type} ${event.eventId} attempt ${attempt}: ${error}`);
    msg.nak(backoff[Math.min(attempt - 1, backoff.length - 1)]);
  }

  private storeIsDown() {
    if (this.storeBack) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.storeBack = { promise, resolve };
  }

  private storeIsBack() {
    const back = this.storeBack;
    this.storeBack = undefined;
    back?.resolve();
  }

  private async deadLetter(msg: JsMsg, reason: string, event?: EventEnvelope) {
    this.opts.log?.(`consumer ${this.opts.durable}: dead-lettered ${msg.subject} #${msg.seq}: ${reason}`);
    try {
      if (this.opts.pool) {
        await recordDeadLetter(this.opts.pool, {
          consumer: this.opts.durable,
          subject: msg.subject,
          streamSequence: msg.seq,
          eventId: event?.eventId,
          eventType: event?.type,
          streamId: event?.streamId,
          reason,
          payload: msg.string(),
        });
      }
      const js = jetstream(this.opts.nc, { timeout: 5_000 });
      await js.publish(
        deadLetterSubject(this.opts.prefix, this.opts.durable),
        JSON.stringify({ subject: msg.subject, streamSequence: msg.seq, reason, payload: msg.string() }),
        { msgID: `dl:${this.opts.durable}:${msg.seq}` },
      );
      msg.term(reason);
      consumerDeadLetters.inc({ consumer: this.opts.durable });
    } catch (error) {
      // Keep it for a later attempt rather than lose it (both writes above are idempotent).
      this.opts.log?.(`consumer ${this.opts.durable}: dead-letter record failed: ${error}`);
      msg.nak(5_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.stopped.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopped.signal.addEventListener('abort', done);
    });
  }
}
