import type { TestDatabase } from './test-database';
import { TEST_STREAM_MAX_BYTES, type TestNats } from './test-nats';

/** The configuration keys that point a service at a test file's own schema, NATS prefix and stream. */
export function serviceEnv(t: TestDatabase, n: TestNats): Record<string, string> {
  return {
    CONDORHUB_DATABASE_URL: t.db.url,
    CONDORHUB_DATABASE_SCHEMA: t.schema,
    CONDORHUB_NATS_URL: n.url,
    CONDORHUB_NATS_PREFIX: n.prefix,
    CONDORHUB_NATS_STREAM: n.streamName,
    CONDORHUB_NATS_STREAM_MAX_BYTES: String(TEST_STREAM_MAX_BYTES),
  };
}
