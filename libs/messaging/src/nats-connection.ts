import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsOptions {
  url: string;
  name: string;
  /** Connect timeout; after a later disconnect the client keeps reconnecting on its own. */
  timeoutMs?: number;
}

export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.url.replace(/^nats:\/\//, ''),
    name: opts.name,
    timeout: opts.timeoutMs ?? 5_000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
  });
}
