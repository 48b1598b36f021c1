import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, type RemovedRoute, type RouteInput } from './route-table';

const alice = (o: Partial<RouteInput> = {}): RouteInput => ({
  routeSpec: '/user/alice/',
  target: 'http://127.0.0.2:41234',
  spawnId: 'spawn-a1',
  owner: 'alice',
  serverName: '',
  generation: 10,
  ...o,
});

test('longest prefix wins over shorter prefixes and the root', () => {
  const t = new RouteTable();
  t.set({ ...alice(), routeSpec: '/', kind: 'static', target: 'http://127.0.0.1:8081' });
  t.set(alice());
  t.set(alice({ routeSpec: '/user/alice/gpu/', target: 'http://127.0.0.3:5000', spawnId: 'spawn-g1' }));
  assert.equal(t.match('/user/alice/gpu/lab?x=1')?.spawnId, 'spawn-g1');
  assert.equal(t.match('/user/alice/gpu')?.spawnId, 'spawn-g1');
  assert.equal(t.match('/user/alice/gpux/lab')?.spawnId, 'spawn-a1');
  assert.equal(t.match('/user/alice')?.spawnId, 'spawn-a1');
  assert.equal(t.match('/user/alicex/')?.routeSpec, '/');
  assert.equal(t.match('/user/al%69ce/api')?.spawnId, 'spawn-a1', 'percent-encoded segments are decoded');
  assert.equal(t.match('/user/%E0%A4%A/'), undefined, 'malformed escapes match nothing');
});

test('routeSpecs are normalised: leading and trailing slash', () => {
  const t = new RouteTable();
  t.set(alice({ routeSpec: 'user/alice' }));
  assert.equal(t.get('/user/alice/')?.routeSpec, '/user/alice/');
  assert.equal(t.all().length, 1);
});

test("an older spawn's late route never overwrites a newer route", () => {
  const t = new RouteTable();
  t.set(alice({ spawnId: 'spawn-a2', generation: 20, target: 'http://127.0.0.2:5002' }));
  const late = t.set(alice({ spawnId: 'spawn-a1', generation: 10 }));
  assert.equal(late.applied, false);
  assert.equal(late.applied === false && late.reason, 'older-generation');
  assert.equal(t.match('/user/alice/')?.spawnId, 'spawn-a2');
});

test('remove with a spawnId removes only that spawn’s route', () => {
  const removed: RemovedRoute[] = [];
  const t = new RouteTable({ onRemoved: (r) => removed.push(r) });
  t.set(alice({ spawnId: 'spawn-a2', generation: 20 }));
  assert.equal(t.remove('/user/alice/', 'spawn-a1'), undefined);
  assert.equal(t.match('/user/alice/')?.spawnId, 'spawn-a2');
  assert.equal(t.remove('/user/alice/', 'spawn-a2')?.spawnId, 'spawn-a2');
  assert.equal(t.match('/user/alice/'), undefined);
  assert.deepEqual(
    removed.map((r) => [r.route.spawnId, r.reason]),
    [['spawn-a2', 'removed']],
  );
});

test('a removed spawn stays removed, and older spawns cannot come back after a removal', () => {
  const t = new RouteTable();
  t.set(alice({ spawnId: 'spawn-a2', generation: 20 }));
  t.remove('/user/alice/', 'spawn-a2');
  const again = t.set(alice({ spawnId: 'spawn-a2', generation: 20 }));
  assert.equal(again.applied === false && again.reason, 'removed-spawn');
  const older = t.set(alice({ spawnId: 'spawn-a1', generation: 10 }));
  assert.equal(older.applied === false && older.reason, 'older-generation');
  assert.equal(t.set(alice({ spawnId: 'spawn-a3', generation: 30 })).applied, true);
});

test('a newer route on a held target evicts the old route (target-reused)', () => {
  const removed: RemovedRoute[] = [];
  const t = new RouteTable({ onRemoved: (r) => removed.push(r) });
  t.set(alice());
  const bob = t.set({
    routeSpec: '/user/bob/',
    target: 'http://127.0.0.2:41234/',
    spawnId: 'spawn-b1',
    owner: 'bob',
    serverName: '',
    generation: 11,
  });
  assert.equal(bob.applied, true);
  assert.deepEqual(bob.applied && bob.removed.map((r) => [r.route.routeSpec, r.reason]), [
    ['/user/alice/', 'target-reused'],
  ]);
  assert.deepEqual(
    removed.map((r) => r.reason),
    ['target-reused'],
  );
  assert.equal(t.match('/user/alice/lab'), undefined);
  assert.equal(t.byTarget('http://127.0.0.2:41234')?.owner, 'bob');
  assert.equal(t.byTarget('127.0.0.2:41234')?.owner, 'bob');
  // alice's late event for the evicted spawn must not take the slot back
  const late = t.set(alice());
  assert.equal(late.applied, false);
  assert.equal(t.byTarget('127.0.0.2:41234')?.owner, 'bob');
});

test('an older route cannot take a target held by a newer one', () => {
  const t = new RouteTable();
  t.set({
    routeSpec: '/user/bob/',
    target: 'http://127.0.0.2:41234',
    spawnId: 'b',
    owner: 'bob',
    serverName: '',
    generation: 50,
  });
  const r = t.set(alice({ generation: 10 }));
  assert.equal(r.applied === false && r.reason, 'target-held-by-newer');
  assert.equal(t.match('/user/alice/'), undefined);
});

test('static routes may share a target and are never evicted by user routes', () => {
  const t = new RouteTable();
  t.set({
    routeSpec: '/hub/api/batchspawner/',
    target: 'http://127.0.0.1:8082',
    spawnId: 'static',
    owner: '',
    serverName: '',
    kind: 'static',
  });
  t.set({
    routeSpec: '/hub/api/condorhub/launcher/',
    target: 'http://127.0.0.1:8082',
    spawnId: 'static',
    owner: '',
    serverName: '',
    kind: 'static',
  });
  assert.equal(t.all().length, 2);
  assert.equal(t.byTarget('127.0.0.1:8082'), undefined);
});

test('load() rebuilds the table; the newest spawn keeps a contested target whatever the input order', () => {
  const t = new RouteTable();
  t.set(alice({ routeSpec: '/user/zed/', owner: 'zed', spawnId: 'z', target: 'http://127.0.0.9:1' }));
  t.load([
    {
      routeSpec: '/user/bob/',
      target: 'http://127.0.0.2:41234',
      spawnId: 'b',
      owner: 'bob',
      serverName: '',
      generation: 50,
    },
    alice({ generation: 10 }),
  ]);
  assert.deepEqual(
    t.all().map((r) => r.owner),
    ['bob'],
  );
});

test('removing a deep route prunes the trie and keeps shorter prefixes', () => {
  const t = new RouteTable();
  t.set(alice());
  t.set(alice({ routeSpec: '/user/alice/gpu/', target: 'http://127.0.0.3:1', spawnId: 'g' }));
  t.remove('/user/alice/gpu/');
  assert.equal(t.match('/user/alice/gpu/x')?.spawnId, 'spawn-a1');
  t.remove('/user/alice/');
  assert.equal(t.match('/user/alice/gpu/x'), undefined);
  assert.equal(t.size, 0);
});

test('many routes: every user matches their own route', () => {
  const t = new RouteTable();
  for (let i = 0; i < 1000; i++) {
    t.set({
      routeSpec: `/user/u${i}/`,
      target: `http://127.0.0.2:${10000 + i}`,
      spawnId: `s${i}`,
      owner: `u${i}`,
      serverName: '',
      generation: i,
    });
  }
  for (let i = 0; i < 1000; i += 37) assert.equal(t.match(`/user/u${i}/api/kernels`)?.owner, `u${i}`);
  assert.equal(t.size, 1000);
});

test('the same route set twice (one event delivered twice) is unchanged and removes nothing', () => {
  const removed: RemovedRoute[] = [];
  const t = new RouteTable({ onRemoved: (r) => removed.push(r) });
  assert.equal(t.set(alice()).applied, true);
  const again = t.set(alice());
  assert.equal(again.applied === false && again.reason, 'unchanged');
  assert.deepEqual(removed, []);
  assert.equal(t.set(alice({ target: 'http://127.0.0.2:41235' })).applied, true, 'a new target is a change');
});
