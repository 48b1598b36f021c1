import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Config } from '@condorhub/config';
import { eventSubjectFilter } from '@condorhub/contracts';
import { CONFIG, NATS } from '@condorhub/runtime';

/**
 * Wake-ups for waiters on a server stream. One core NATS subscription per hub process to
 * `<prefix>.events.server.>` (the relay publishes there; JetStream subjects reach core
 * subscribers too), fanned out by stream id: requests never subscribe themselves, so a dropped
 * client cannot leak a subscription. A wake-up only says "read the store again": the store is
 * the truth, and every waiter also has a timeout, so a lost message costs latency only.
 */
@Injectable()
export class ServerEvents implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('hub');
  private sub?: Subscription;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onModuleInit() {
    this.sub = this.nc.subscribe(eventSubjectFilter(this.config.CONDORHUB_NATS_PREFIX, 'server', '*'), {
      callback: (err, msg) => {
        if (err) return this.log.warn(`server events subscription: ${String(err)}`);
        let streamId = msg.headers?.get('Condorhub-Stream');
        if (!streamId) {
          try {
            streamId = (msg.json() as { streamId?: string }).streamId;
          } catch {
            return;
          }
        }
        if (streamId) this.wake(streamId);
      },
    });
  }

  onModuleDestroy() {
    this.sub?.unsubscribe();
    for (const set of this.waiters.values()) for (const w of set) w();
    this.waiters.clear();
  }

  wake(streamId: string) {
    const set = this.waiters.get(streamId);
    if (!set) return;
    this.waiters.delete(streamId);
    for (const w of set) w();
  }

  /** Resolves on the next event of the stream, after `timeoutMs`, or when `signal` aborts. */
  wait(streamId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let set = this.waiters.get(streamId);
      if (!set) this.waiters.set(streamId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const current = this.waiters.get(streamId);
        current?.delete(done);
        if (current?.size === 0) this.waiters.delete(streamId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Number of waiting requests, for tests that check nothing is left behind. */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
