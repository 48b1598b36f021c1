import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NestFactory } from '@nestjs/core';
import { ProxyModule, ProxyService } from './proxy.module';
import { request, startBackend, TEST_SECRET } from './testing/test-backends';

test('the Nest module starts the proxy on bootstrap and stops it on shutdown', async () => {
  const hub = await startBackend('hub');
  const app = await NestFactory.createApplicationContext(
    ProxyModule.forRoot({ port: 0, hubUrl: hub.url, cookieSecret: TEST_SECRET }),
    {
      logger: false,
    },
  );
  try {
    await app.init();
    const proxy = app.get(ProxyService);
    const r = await request(`${proxy.server.url}/hub/home`);
    assert.equal(JSON.parse(r.body).backend, 'hub');
    assert.equal(proxy.routes.size, 3);
    const url = proxy.server.url;
    await app.close();
    await assert.rejects(request(`${url}/hub/home`), /ECONNREFUSED/);
  } finally {
    await app.close().catch(() => undefined);
    await hub.close();
  }
});
