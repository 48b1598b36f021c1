import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decideStart } from './decide';
import { initialServerState } from './server-state';
import { checkSiteLimits } from './spawn-policy';

const limits = { maxCpus: 4, maxMemoryMb: 8192, namedServerLimit: 2 };
const req = (serverName: string, options = {}) => ({ user: 'alice', serverName, options });

describe('site limits', () => {
  it('takes what is within the limits', () => {
    assert.equal(checkSiteLimits(limits, req('', { cpus: 4, memoryMb: 8192 }), 0), undefined);
    assert.equal(checkSiteLimits(limits, req('gpu'), 1), undefined);
    // The default server never counts against the named limit.
    assert.equal(checkSiteLimits(limits, req(''), 5), undefined);
  });

  it('names the limit a start breaks', () => {
    assert.equal(checkSiteLimits(limits, req('', { cpus: 5 }), 0)?.limit, 'cpus');
    assert.match(checkSiteLimits(limits, req('', { cpus: 5 }), 0)!.reason, /limit is 4 CPUs/);
    assert.match(checkSiteLimits(limits, req('', { memoryMb: 8193 }), 0)!.reason, /limit is 8192 MB/);
    assert.match(checkSiteLimits(limits, req('c'), 2)!.reason, /limit is 2 named servers/);
    assert.match(checkSiteLimits({ ...limits, namedServerLimit: 0 }, req('c'), 0)!.reason, /not enabled/);
  });

  it('is part of the start decision: nothing is recorded over a limit', () => {
    const cmd = { spawnId: randomUUID(), user: 'alice', serverName: 'c', options: { cpus: 64 }, by: 'alice' };
    const d = decideStart(initialServerState(), cmd, { limits, otherActiveNamedServers: 0 });
    assert.equal(d.ok, false);
    assert.equal(!d.ok && d.code, 'over-limit');
  });
});
