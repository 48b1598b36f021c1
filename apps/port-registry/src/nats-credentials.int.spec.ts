// NATS credentials from the configuration, against a nats-server of this test's own that
// requires a user and password: a service with the right ones starts and uses the bus; wrong
// or missing ones are refused with the settings to fix named.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import { loadConfig, natsOptions } from '@condorhub/config';
import { NatsConnectError, connectNats } from '@condorhub/messaging';
import { readModelMigrations } from '@condorhub/read-models';
import { PrivateNatsServer, type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { tokenMigrations } from '@condorhub/tokens';
import { bootstrapPortRegistry } from './bootstrap';

describe('NATS credentials (private nats-server with user/password auth)', () => {
  let nats: PrivateNatsServer;
  let t: TestDatabase;
  let app: INestApplication | undefined;
  const env = () => ({
    CONDORHUB_DATABASE_URL: t.db.url,
    CONDORHUB_DATABASE_SCHEMA: t.schema,
    CONDORHUB_NATS_URL: nats.url,
    CONDORHUB_NATS_PREFIX: 'credtest',
    CONDORHUB_NATS_STREAM: 'CREDTEST',
    CONDORHUB_PORT_REGISTRY_PORT: '0',
    CONDORHUB_LOG_LEVEL: 'error',
  });

  before(async () => {
    nats = await PrivateNatsServer.start(['--user', 'registry', '--pass', 'right-password']);
    t = await createTestDatabase('natscreds', [...readModelMigrations, ...tokenMigrations]);
  });
  after(async () => {
    await app?.close();
    await nats?.dispose();
    await t?.drop();
  });

  it('a service with the right user and password starts and publishes', async () => {
    app = await bootstrapPortRegistry(
      loadConfig({ ...env(), CONDORHUB_NATS_USER: 'registry', CONDORHUB_NATS_PASSWORD: 'right-password' }),
    );
    const nc = await connectNats(
      natsOptions(
        loadConfig({ ...env(), CONDORHUB_NATS_USER: 'registry', CONDORHUB_NATS_PASSWORD: 'right-password' }),
        'test',
      ),
    );
    try {
      const sub = nc.subscribe('credtest.ping', { max: 1 });
      nc.publish('credtest.ping', 'hello');
      for await (const m of sub) assert.equal(m.string(), 'hello');
    } finally {
      await nc.close();
    }
  });

  it('a wrong password is refused, naming CONDORHUB_NATS_USER and CONDORHUB_NATS_PASSWORD', async () => {
    const config = loadConfig({ ...env(), CONDORHUB_NATS_USER: 'registry', CONDORHUB_NATS_PASSWORD: 'wrong' });
    await assert.rejects(connectNats(natsOptions(config, 'condorhub-port-registry')), (error: Error) => {
      assert.ok(error instanceof NatsConnectError, String(error));
      assert.match(error.message, /refused condorhub-port-registry's credentials/);
      assert.match(error.message, /CONDORHUB_NATS_USER, CONDORHUB_NATS_PASSWORD/);
      return true;
    });
  });

  it('no credentials at all are refused, naming the settings to set', async () => {
    await assert.rejects(connectNats(natsOptions(loadConfig(env()), 'condorhub-spawner')), (error: Error) => {
      assert.ok(error instanceof NatsConnectError, String(error));
      assert.match(error.message, /none set \(CONDORHUB_NATS_USER\/PASSWORD, CONDORHUB_NATS_TOKEN/);
      return true;
    });
  });

  it('a user without a password is a configuration error before any connection', async () => {
    await assert.rejects(
      () => connectNats(natsOptions(loadConfig({ ...env(), CONDORHUB_NATS_USER: 'registry' }), 'x')),
      /CONDORHUB_NATS_USER and CONDORHUB_NATS_PASSWORD must be set together/,
    );
  });
});
