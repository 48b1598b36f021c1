import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideLauncherBootstrap } from './launcher-bootstrap';
import type { LauncherCredential } from './launcher-credential';

const spawnId = '00000000-0000-4000-8000-000000000001';
const now = Date.parse('2026-12-05T08:00:00Z');
const issue = { spawnId, user: 'ann', serverName: 'gpu', bootstrapHash: 'h2', lifetimeS: 600, now };
const none: LauncherCredential = { streamVersion: 0, refusals: 0 };
const earlier = (user: string, serverName: string): LauncherCredential => ({
  streamVersion: 2,
  refusals: 0,
  bootstrap: { hash: 'h1', expiresAt: '2026-12-05T07:10:00Z', user, serverName },
  issued: { tokenId: '7', launcherKeyHash: 'k', position: 9n },
});

describe('launcher credential issue', () => {
  const expected = {
    type: 'LauncherBootstrapIssued',
    data: { spawnId, user: 'ann', serverName: 'gpu', bootstrapHash: 'h2', expiresAt: '2026-12-05T08:10:00.000Z' },
  };
  const table: [string, LauncherCredential, Partial<typeof issue>, RegExp | undefined][] = [
    ['first submit: issued, expiring lifetimeS after now', none, {}, undefined],
    ['resubmit of the same server: a new one (the latest counts)', earlier('ann', 'gpu'), {}, undefined],
    ['another user on the stream: refused', earlier('bob', 'gpu'), {}, /belongs to bob\/gpu, not ann\/gpu/],
    ['another server of the user: refused', earlier('ann', ''), {}, /belongs to ann\/, not ann\/gpu/],
    ['no lifetime: refused', none, { lifetimeS: 0 }, /positive lifetime, got 0/],
    ['a lifetime that is not a number: refused', none, { lifetimeS: Number.NaN }, /positive lifetime, got NaN/],
  ];
  for (const [name, credential, over, refused] of table) {
    it(name, () => {
      const decide = () => decideLauncherBootstrap(credential, { ...issue, ...over });
      if (refused) assert.throws(decide, refused);
      else assert.deepEqual(decide(), [expected]);
    });
  }
});
