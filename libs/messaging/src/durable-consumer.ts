import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type EventEnvelope, deadLetterSubject, eventSubjectFilter, parseEnvelope } from '@condorhub/contracts';
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
  /** Attempts before a message goes to the dead-letter subject. */
  maxDeliver?: number;
  /** Delay before each redelivery after a failure. */
  backoffMs?: number[];
  ackWaitMs?: number;
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
 * A durable JetStream pull consumer with explicit ack. A failing handler is retried with
 * backoff; after `maxDeliver` attempts, or at once for a message that does not parse, the
 * message goes to `<prefix>.dead-letter.<durable>` and the log, and is terminated so it never
 * blocks the messages behind it.
 */
export class DurableConsumer {
  private running = false;
  private loop?: Promise<void>;
  private stopCurrent?: () => void;
  private readonly types?: Set<string>;
  /** A pull is open on the server (false while the loop is resuming after an error). */
  private consuming = false;
  private lastError = 'not started';
  private unregister?: () => void;

  constructor(private readonly opts: DurableConsumerOptions) {
    this.types = opts.types?.length ? new Set(opts.types) : undefined;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const jsm = await jetstreamManager(o.nc, { timeout: 10_000 });
    const backoff = o.backoffMs ?? [500, 2_000, 10_000, 30_000];
    const maxDeliver = o.maxDeliver ?? 5;
    await jsm.consumers.add(o.streamName, {
      durable_name: o.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: eventSubjectFilter(o.prefix),
      ack_wait: ns(o.ackWaitMs ?? 30_000),
      max_deliver: maxDeliver + 1,
      max_ack_pending: 1_000,
    });
    this.running = true;
    this.loop = this.run(maxDeliver, backoff);
    this.unregister = registerReadinessCheck(`consumer ${o.durable}`, () => {
      if (!this.consuming) throw new Error(this.lastError);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unregister?.();
    this.stopCurrent?.();
    await this.loop;
  }

  private async run(maxDeliver: number, backoff: number[]) {
    const js = jetstream(this.opts.nc, { timeout: 10_000 });
    while (this.running) {
      try {
        const consumer = await js.consumers.get(this.opts.streamName, this.opts.durable);
        const messages = await consumer.consume({ max_messages: 200, expires: 5_000 });
        this.consuming = true;
        this.stopCurrent = () => void messages.stop();
        if (!this.running) messages.stop();
        await this.drain(messages, maxDeliver, backoff);
      } catch (error) {
        [this.consuming, this.lastError] = [false, `resuming after: ${String(error)}`];
        this.opts.log?.(`consumer ${this.opts.durable}: ${String(error)}; resuming`);
        if (this.running) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async drain(messages: AsyncIterable<JsMsg>, maxDeliver: number, backoff: number[]) {
    const limit = this.opts.concurrency ?? 1;
    const tails = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    // The stream id travels in a header, so ordering needs no parse.
    const keyOf = this.opts.keyOf ?? ((m: JsMsg) => m.headers?.get('Condorhub-Stream') || m.subject);
    for await (const msg of messages) {
      if (limit <= 1) {
        await this.deliver(msg, maxDeliver, backoff);
        continue;
      }
      while (inFlight.size >= limit) await Promise.race(inFlight);
      const key = keyOf(msg);
      const run = (tails.get(key) ?? Promise.resolve()).then(() => this.deliver(msg, maxDeliver, backoff));
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

  private async deliver(msg: JsMsg, maxDeliver: number, backoff: number[]) {
    let event: EventEnvelope;
    try {
      event = parseEnvelope(msg.json());
    } catch (error) {
      return this.deadLetter(msg, `unparseable: ${String(error)}`);
    }
    if (this.types && !this.types.has(event.type)) return msg.ack();
    if (msg.info.deliveryCount > 1) consumerRedeliveries.inc({ consumer: this.opts.durable });
    try {
      await this.opts.handle(event);
      msg.ack();
    } catch (error) {
      const attempt = msg.info.deliveryCount;
      if (attempt >= maxDeliver) return this.deadLetter(msg, `failed ${attempt} times: ${String(error)}`);
      this.opts.log?.(`consumer ${this.opts.durable}: ${event.type} ${event.eventId} attempt ${attempt}: ${error}`);
      msg.nak(backoff[Math.min(attempt - 1, backoff.length - 1)]);
    }
  }

  private async deadLetter(msg: JsMsg, reason: string) {
    this.opts.log?.(`consumer ${this.opts.durable}: dead-lettered ${msg.subject} #${msg.seq}: ${reason}`);
    try {
      const js = jetstream(this.opts.nc, { timeout: 5_000 });
      await js.publish(
        deadLetterSubject(this.opts.prefix, this.opts.durable),
        JSON.stringify({ subject: msg.subject, streamSequence: msg.seq, reason, payload: msg.string() }),
        { msgID: `dl:${this.opts.durable}:${msg.seq}` },
      );
      msg.term(reason);
      consumerDeadLetters.inc({ consumer: this.opts.durable });
    } catch (error) {
      // Keep it for a later attempt rather than lose it.
      this.opts.log?.(`consumer ${this.opts.durable}: dead-letter publish failed: ${error}`);
      msg.nak(5_000);
    }
  }
}
