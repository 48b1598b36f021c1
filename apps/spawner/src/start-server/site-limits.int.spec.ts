import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapSpawner } from '../bootstrap';

const USER = 'chlimits';

// The spawner's own start command, sent straight over NATS as anyone on the bus could: the
// site limits hold here whatever the hub checked first.
describe('spawner start command: site limits', () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'site-limits',
      env: { CONDORHUB_MAX_CPUS: '4', CONDORHUB_MAX_MEMORY_MB: '8192', CONDORHUB_NAMED_SERVER_LIMIT: '1' },
      boot: async (config) => [await bootstrapSpawner(config)],
    });
  });
  after(async () => h?.close());

  const start = (serverName: string, options: Record<string, number> = {}) =>
    sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'start',
      { user: USER, serverName, options, by: USER },
      10_000,
    );

  it('refuses CPUs over the limit, naming it, and stores nothing', async () => {
    const reply = await start('', { cpus: 5 });
    assert.equal(reply.accepted, false);
    assert.equal((reply as any).code, 'over-limit');
    assert.match((reply as any).reason, /site limit is 4 CPUs/);
    assert.deepEqual(await h.events(USER), []);
  });

  it('refuses memory over the limit, naming it, and stores nothing', async () => {
    const reply = await start('', { memoryMb: 16384 });
    assert.equal((reply as any).code, 'over-limit');
    assert.match((reply as any).reason, /site limit is 8192 MB/);
    assert.deepEqual(await h.events(USER), []);
  });

  it('keeps named servers to the limit, also when two starts race', async () => {
    const replies = await Promise.all([start('one'), start('two')]);
    assert.equal(replies.filter((r) => r.accepted).length, 1, JSON.stringify(replies));
    const refused = replies.find((r) => !r.accepted) as any;
    assert.equal(refused.code, 'over-limit');
    assert.match(refused.reason, /site limit is 1 named servers per user/);
    const refusedName = replies[0].accepted ? 'two' : 'one';
    assert.deepEqual(await h.events(USER, refusedName), []);
    const third = (await start('three')) as any;
    assert.equal(third.code, 'over-limit');
    assert.deepEqual(await h.events(USER, 'three'), []);
  });

  it('accepts a start within the limits', async () => {
    const reply = await start('', { cpus: 4, memoryMb: 8192 });
    assert.equal(reply.accepted, true, JSON.stringify(reply));
    assert.equal((await h.events(USER))[0].type, 'SpawnRequested');
  });
});
