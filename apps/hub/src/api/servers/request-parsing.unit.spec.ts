import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseActivityTimestamp } from '../activity/activity.handler';
import { parseSpawnOptions } from './start-server/start-server.handler';

describe('spawn options', () => {
  it('accepts an empty body, the options, or JupyterHub 6’s user_options wrapper', () => {
    assert.deepEqual(parseSpawnOptions(undefined), {});
    assert.deepEqual(parseSpawnOptions({}), {});
    assert.deepEqual(parseSpawnOptions({ cpus: 2, memoryMb: 4096 }), { cpus: 2, memoryMb: 4096 });
    assert.deepEqual(parseSpawnOptions({ user_options: { cpus: 1 }, display_name: 'x' }), { cpus: 1 });
  });

  it('refuses anything else with a message naming the field', () => {
    for (const bad of [
      [1],
      'x',
      3,
      { cpus: 0 },
      { cpus: 1.5 },
      { gpus: 1 },
      { user_options: [] },
      { user_options: {}, x: 1 },
    ]) {
      assert.throws(
        () => parseSpawnOptions(bad),
        (e: any) => e.getStatus() === 400,
        JSON.stringify(bad),
      );
    }
    assert.throws(() => parseSpawnOptions({ cpus: 'two' }), /cpus/);
  });
});

describe('activity timestamps', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('reads ISO 8601 as jupyterhub-singleuser writes it, naive as UTC', () => {
    assert.equal(parseActivityTimestamp('2024-05-01T11:00:00.123456Z', now).toISOString(), '2024-05-01T11:00:00.123Z');
    assert.equal(parseActivityTimestamp('2024-05-01T11:00:00', now).toISOString(), '2024-05-01T11:00:00.000Z');
    assert.equal(parseActivityTimestamp('2024-05-01T13:00:00+02:00', now).toISOString(), '2024-05-01T11:00:00.000Z');
  });
  it('refuses garbage and times more than 59 minutes ahead', () => {
    assert.throws(() => parseActivityTimestamp('yesterday', now), /Invalid timestamp/);
    assert.throws(() => parseActivityTimestamp(12, now), /Invalid timestamp/);
    assert.doesNotThrow(() => parseActivityTimestamp('2024-05-01T12:58:00Z', now));
    assert.throws(() => parseActivityTimestamp('2024-05-01T13:00:00Z', now), /future/);
  });
});
