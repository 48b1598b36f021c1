import { it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError, condorClientOptions, instanceTagOf, loadConfig } from './index';

it('gives the documented defaults', () => {
  const c = loadConfig({});
  assert.equal(c.CONDORHUB_DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/condorhub');
  assert.equal(c.CONDORHUB_PROXY_PORT, 8000);
  assert.equal(c.CONDORHUB_HUB_PORT, 8081);
  assert.equal(c.CONDORHUB_IDLE_TIMEOUT_S, 300);
  assert.deepEqual(c.CONDORHUB_ADMIN_USERS, []);
  assert.equal(c.CONDORHUB_PROXY_WORKERS, Math.min(64, availableParallelism()));
});

it('takes a number of proxy workers or auto, and refuses anything else', () => {
  assert.equal(loadConfig({ CONDORHUB_PROXY_WORKERS: '3' }).CONDORHUB_PROXY_WORKERS, 3);
  assert.equal(loadConfig({ CONDORHUB_PROXY_WORKERS: 'auto' }).CONDORHUB_PROXY_WORKERS, availableParallelism());
  for (const bad of ['0', 'many', '65', '1.5'])
    assert.throws(
      () => loadConfig({ CONDORHUB_PROXY_WORKERS: bad }),
      (e: unknown) => e instanceof ConfigError && /CONDORHUB_PROXY_WORKERS/.test(e.message),
    );
});

it('takes a number of condor calls at once or auto (two per core), and refuses anything else', () => {
  assert.equal(loadConfig({}).CONDORHUB_CONDOR_CONCURRENCY, Math.min(64, 2 * availableParallelism()));
  assert.equal(loadConfig({ CONDORHUB_CONDOR_CONCURRENCY: '16' }).CONDORHUB_CONDOR_CONCURRENCY, 16);
  for (const bad of ['0', 'lots', '257', '2.5'])
    assert.throws(
      () => loadConfig({ CONDORHUB_CONDOR_CONCURRENCY: bad }),
      (e: unknown) => e instanceof ConfigError && /CONDORHUB_CONDOR_CONCURRENCY/.test(e.message),
    );
});

it('refuses bad values, naming each key', () => {
  assert.throws(
    () => loadConfig({ CONDORHUB_PROXY_PORT: 'eighty', CONDORHUB_AUTHENTICATOR: 'ldap' }),
    (e: unknown) =>
      e instanceof ConfigError && /CONDORHUB_PROXY_PORT/.test(e.message) && /CONDORHUB_AUTHENTICATOR/.test(e.message),
  );
});

it('parses lists', () => {
  assert.deepEqual(loadConfig({ CONDORHUB_ADMIN_USERS: 'root, ops ,' }).CONDORHUB_ADMIN_USERS, ['root', 'ops']);
});

it('keeps inbox rows at least as long as the event stream keeps events', () => {
  const c = loadConfig({});
  assert.ok(c.CONDORHUB_INBOX_RETENTION_S >= c.CONDORHUB_NATS_STREAM_MAX_AGE_S);
  assert.throws(
    () => loadConfig({ CONDORHUB_NATS_STREAM_MAX_AGE_S: '86400', CONDORHUB_INBOX_RETENTION_S: '3600' }),
    /CONDORHUB_INBOX_RETENTION_S: must be at least CONDORHUB_NATS_STREAM_MAX_AGE_S \(86400\)/,
  );
  assert.equal(
    loadConfig({ CONDORHUB_NATS_STREAM_MAX_AGE_S: '86400', CONDORHUB_INBOX_RETENTION_S: '86400' })
      .CONDORHUB_INBOX_RETENTION_S,
    86400,
  );
  assert.throws(() => loadConfig({ CONDORHUB_NATS_STREAM_MAX_AGE_S: '60' }), /CONDORHUB_NATS_STREAM_MAX_AGE_S/);
});

it('derives the instance tag from database host, port, name and schema, never the credentials', () => {
  const tag = instanceTagOf('postgres://hub:secret@DB.example.org:5432/condorhub', 'public');
  assert.match(tag, /^ch-[0-9a-f]{10}$/);
  // Same database, other credentials or an implied port: the same hub.
  assert.equal(instanceTagOf('postgres://other:pw@db.example.org/condorhub', 'public'), tag);
  // Another schema, database, host or port: another hub.
  const others = [
    instanceTagOf('postgres://hub:secret@db.example.org:5432/condorhub', 'hub2'),
    instanceTagOf('postgres://hub:secret@db.example.org:5432/condorhub2', 'public'),
    instanceTagOf('postgres://hub:secret@db2.example.org:5432/condorhub', 'public'),
    instanceTagOf('postgres://hub:secret@db.example.org:5433/condorhub', 'public'),
  ];
  assert.equal(new Set([tag, ...others]).size, 5);
  assert.doesNotMatch(tag, /secret|hub:/);
});

it('passes the schedd, pool and instance tag to the condor adapter', () => {
  const derived = condorClientOptions(loadConfig({ CONDORHUB_DATABASE_SCHEMA: 'hub_a' }));
  assert.equal(derived.instance, instanceTagOf('postgres://postgres@127.0.0.1:5432/condorhub', 'hub_a'));
  assert.equal(derived.scheddName, undefined);
  const set = condorClientOptions(
    loadConfig({
      CONDORHUB_INSTANCE: 'hub-a',
      CONDORHUB_CONDOR_SCHEDD_NAME: 'submit2.example.org',
      CONDORHUB_CONDOR_POOL: 'cm.example.org:9618',
    }),
  );
  assert.deepEqual([set.instance, set.scheddName, set.pool], ['hub-a', 'submit2.example.org', 'cm.example.org:9618']);
  for (const bad of [{ CONDORHUB_INSTANCE: 'two words' }, { CONDORHUB_CONDOR_SCHEDD_NAME: 'a;rm -rf' }]) {
    assert.throws(() => loadConfig(bad), ConfigError);
  }
});

it('takes the culler settings: off by default, and refuses negative limits or a flag other than true/false', () => {
  const c = loadConfig({});
  assert.deepEqual([c.CONDORHUB_CULL_IDLE_S, c.CONDORHUB_CULL_MAX_AGE_S, c.CONDORHUB_CULL_USERS], [0, 0, false]);
  assert.equal(loadConfig({ CONDORHUB_CULL_USERS: 'true' }).CONDORHUB_CULL_USERS, true);
  for (const [key, bad] of [
    ['CONDORHUB_CULL_IDLE_S', '-1'],
    ['CONDORHUB_CULL_MAX_AGE_S', 'a day'],
    ['CONDORHUB_CULL_EVERY_S', '0'],
    ['CONDORHUB_CULL_USERS', 'yes'],
  ])
    assert.throws(
      () => loadConfig({ [key]: bad }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(key),
    );
});
