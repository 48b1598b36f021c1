import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, deleteEventStream, ensureEventStream } from '@condorhub/messaging';

export const TEST_NATS_URL = process.env.CONDORHUB_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * A test stream's size limit: JetStream reserves a file stream's max bytes on the server, and
 * many test files (and the leftovers of crashed ones) share it.
 */
export const TEST_STREAM_MAX_BYTES = 64 * 1_048_576;

export interface TestNats {
  nc: NatsConnection;
  url: string;
  /** Subject prefix and stream name of this test file alone. */
  prefix: string;
  streamName: string;
  drop(): Promise<void>;
}

/** A JetStream stream and subject prefix of its own, on the shared NATS server. */
export async function createTestNats(label = 'test', url = TEST_NATS_URL): Promise<TestNats> {
  const id = `${label.replace(/[^A-Za-z0-9]/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const prefix = `t_${id}`;
  const streamName = `T_${id}`.toUpperCase();
  const nc = await connectNats({ url, name: `test:${label}` });
  await ensureEventStream(nc, { streamName, prefix, maxBytes: TEST_STREAM_MAX_BYTES });
  return {
    nc,
    url,
    prefix,
    streamName,
    async drop() {
      await deleteEventStream(nc, streamName);
      await nc.close().catch(() => undefined);
    },
  };
}
