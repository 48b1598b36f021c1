import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContractError,
  eventRegistry,
  eventSubject,
  parseEnvelope,
  parseEventData,
  parseServerStreamId,
  serverStreamId,
  spawnerCommands,
  streamCategory,
} from './index';

const spawnId = '8d7f8a52-46f4-4b4e-9a3f-0c1d2e3f4a5b';

describe('contracts', () => {
  it('registers every event named in the design, each with a category and version', () => {
    for (const type of [
      'SpawnRequested',
      'AdminActionRecorded',
      'JobSubmitted',
      'JobIdle',
      'JobRunning',
      'JobHeld',
      'JobRemoved',
      'JobCompleted',
      'JobStateUnknown',
      'IdleTimedOut',
      'PortReported',
      'PortReportTimedOut',
      'NotebookResponded',
      'HandshakeFailed',
      'LauncherReported',
      'RouteRequested',
      'RouteAdded',
      'RouteRemovalRequested',
      'RouteRemoved',
      'ServerReady',
      'SpawnFailed',
      'StopRequested',
      'JobRemovalRequested',
      'ServerStopped',
      'NodeQuarantined',
      'NodeReleased',
    ]) {
      const def = eventRegistry.get(type);
      assert.ok(def, type);
      assert.equal(def.schemaVersion, 1);
    }
  });

  it('parses a valid payload and names the bad field of an invalid one', () => {
    const ok = parseEventData('PortReported', { spawnId, host: '127.0.0.2', port: 41234 });
    assert.equal(ok.port, 41234);
    assert.throws(
      () => parseEventData('PortReported', { spawnId, host: '127.0.0.2', port: 70000 }),
      (e: unknown) => e instanceof ContractError && /port:/.test(e.message),
    );
    assert.throws(
      () => parseEventData('JobSubmitted', { spawnId, jobId: '12', submitHost: 'x' }),
      (e: unknown) => e instanceof ContractError && e.issues[0].path === 'jobId',
    );
    assert.throws(() => parseEventData('NoSuchEvent' as never, {}), /unknown event type "NoSuchEvent"/);
  });

  it('parses an envelope and its payload by type', () => {
    const env = {
      eventId: '0b6c0c0e-8a41-4a43-bb55-2a3c7a1f2b10',
      type: 'JobIdle',
      schemaVersion: 1,
      streamId: serverStreamId('alice', ''),
      streamVersion: 3,
      globalPosition: '17',
      transactionId: '812',
      recordedAt: '2026-11-25T19:00:00.000Z',
      data: { spawnId, jobId: '42.0' },
      metadata: { correlationId: spawnId },
    };
    assert.equal(parseEnvelope(env).type, 'JobIdle');
    assert.throws(() => parseEnvelope({ ...env, data: { spawnId } }), /jobId/);
    assert.throws(() => parseEnvelope({ ...env, globalPosition: 17 }), /globalPosition/);
  });

  it('builds unambiguous stream ids and subjects', () => {
    assert.equal(serverStreamId('a-b', 'c'), 'server-a-b/c');
    assert.notEqual(serverStreamId('a-b', 'c'), serverStreamId('a', 'b-c'));
    assert.deepEqual(parseServerStreamId('server-alice/'), { user: 'alice', serverName: '' });
    assert.equal(streamCategory('node-127.0.0.2'), 'node');
    assert.equal(eventSubject('condorhub', 'server-alice/', 'JobIdle'), 'condorhub.events.server.JobIdle');
  });

  it('validates commands, with defaults', () => {
    const cmd = spawnerCommands.start.parse({ user: 'alice', serverName: '', by: 'alice' });
    assert.deepEqual(cmd.options, {});
    assert.equal(spawnerCommands.start.safeParse({ user: 'Alice!', serverName: '', by: 'x' }).success, false);
    assert.equal(spawnerCommands.start.safeParse({ user: 'alice', serverName: 'a/b', by: 'x' }).success, false);
  });
});
