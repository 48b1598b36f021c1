// The handshake starts alongside the port report's own append: it may ask the notebook before
// PortReported is stored, but records the answer only once it is, and never if it is not.
// Real PostgreSQL and a real HTTP notebook stand-in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@condorhub/config';
import { type EventEnvelope, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { HandshakeProber } from './handshake-prober';

describe('handshake started alongside the port report', () => {
  let t: TestDatabase;
  let notebook: http.Server;
  let port: number;
  let asked = 0;
  let prober: HandshakeProber;
  const announced: EventEnvelope[] = [];

  before(async () => {
    t = await createTestDatabase('handshake_gate');
    notebook = http.createServer((_req, res) => {
      asked++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"version":"2.14.0"}');
    });
    await new Promise<void>((r) => notebook.listen(0, '127.0.0.1', () => r()));
    port = (notebook.address() as AddressInfo).port;
    prober = new HandshakeProber(t.pool, {
      maxS: 10,
      lifecycle: lifecycleSettings(loadConfig({})),
      announce: (event) => announced.push(event),
    });
  });
  after(async () => {
    prober?.stopAll();
    notebook?.close();
    await t?.drop();
  });

  /** A spawn whose job runs on 127.0.0.1, waiting for its port. */
  async function running(name: string): Promise<{ stream: string; spawnId: string }> {
    const spawnId = randomUUID();
    const stream = serverStreamId('alice', name);
    await appendToStream(t.pool, stream, [
      newEvent('SpawnRequested', { spawnId, user: 'alice', serverName: name, options: {}, requestedBy: 'alice' }),
      newEvent('JobSubmitted', { spawnId, jobId: '7.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '7.0', host: '127.0.0.1', slot: 'slot1_1' }),
    ]);
    return { stream, spawnId };
  }

  const types = async (stream: string) => (await readStream(t.pool, stream)).map((e) => e.type);

  it('asks before PortReported is stored and records the answer after it', async () => {
    const { stream, spawnId } = await running('gated');
    let store!: (stored: EventEnvelope[] | false) => void;
    const before = asked;
    prober.start(
      { user: 'alice', serverName: 'gated', spawnId, host: '127.0.0.1', port },
      new Promise((r) => (store = r)),
    );
    for (let i = 0; i < 100 && asked === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(asked > before, 'the notebook was asked while the report was being stored');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await types(stream), ['SpawnRequested', 'JobSubmitted', 'JobRunning'], 'nothing recorded yet');

    await appendToStream(t.pool, stream, [newEvent('PortReported', { spawnId, host: '127.0.0.1', port })]);
    store(await readStream(t.pool, stream));
    for (let i = 0; i < 100 && !(await types(stream)).includes('NotebookResponded'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual((await types(stream)).slice(3), ['PortReported', 'NotebookResponded', 'RouteRequested']);
    // Announced for the proxy right after the commit, as stored (id, position, version, payload).
    const stored = (await readStream(t.pool, stream)).find((e) => e.type === 'RouteRequested')!;
    const mine = announced.filter((e) => e.streamId === stream);
    assert.equal(mine.length, 1);
    const pick = (e: EventEnvelope) => [e.eventId, e.type, e.streamVersion, e.globalPosition, e.transactionId, e.data];
    assert.deepEqual(pick(mine[0]), pick(stored));
  });

  it('records nothing when the report was not stored', async () => {
    const { stream, spawnId } = await running('refused');
    let store!: (stored: EventEnvelope[] | false) => void;
    prober.start(
      { user: 'alice', serverName: 'refused', spawnId, host: '127.0.0.1', port },
      new Promise((r) => (store = r)),
    );
    await new Promise((r) => setTimeout(r, 200));
    store(false);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(prober.probing, 0, 'the probe ended');
    assert.deepEqual(await types(stream), ['SpawnRequested', 'JobSubmitted', 'JobRunning']);
    assert.equal(announced.filter((e) => e.streamId === stream).length, 0, 'nothing announced');
  });

  it('records the answer on what is stored when the stream it was handed is stale', async () => {
    const { stream, spawnId } = await running('stale');
    let store!: (stored: EventEnvelope[] | false) => void;
    prober.start(
      { user: 'alice', serverName: 'stale', spawnId, host: '127.0.0.1', port },
      new Promise((r) => (store = r)),
    );
    await appendToStream(t.pool, stream, [newEvent('PortReported', { spawnId, host: '127.0.0.1', port })]);
    const handed = await readStream(t.pool, stream);
    // Another writer gets in after the report (the poller, say): the handed stream is one behind.
    await appendToStream(t.pool, stream, [
      newEvent('JobRunning', { spawnId, jobId: '7.0', host: '127.0.0.1', slot: 'slot1_1' }),
    ]);
    store(handed);
    for (let i = 0; i < 100 && !(await types(stream)).includes('RouteRequested'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const events = await readStream(t.pool, stream);
    assert.deepEqual(
      events.slice(3).map((e) => e.type),
      ['PortReported', 'JobRunning', 'NotebookResponded', 'RouteRequested'],
    );
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      events.map((_, i) => i + 1),
      'appended after what was stored, not over it',
    );
  });

  it('reads the stream when the stream it was handed says the spawn is no longer waiting', async () => {
    const { stream, spawnId } = await running('declined-on-known');
    let store!: (stored: EventEnvelope[] | false) => void;
    prober.start(
      { user: 'alice', serverName: 'declined-on-known', spawnId, host: '127.0.0.1', port },
      new Promise((r) => (store = r)),
    );
    await appendToStream(t.pool, stream, [newEvent('PortReported', { spawnId, host: '127.0.0.1', port })]);
    // Handed without PortReported (not waiting for an answer there): the store decides.
    store((await readStream(t.pool, stream)).slice(0, 3));
    for (let i = 0; i < 100 && !(await types(stream)).includes('RouteRequested'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual((await types(stream)).slice(3), ['PortReported', 'NotebookResponded', 'RouteRequested']);
  });
});
