import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  it('allows `limit` attempts per window per key, then says when to come back', () => {
    const l = new RateLimiter(3, 60_000);
    for (let i = 0; i < 3; i++) assert.deepEqual(l.take('alice', 1_000), { ok: true });
    assert.deepEqual(l.take('alice', 1_000), { ok: false, retryAfterS: 60 });
    assert.deepEqual(l.take('alice', 31_000), { ok: false, retryAfterS: 30 });
    assert.deepEqual(l.take('bob', 31_000), { ok: true });
    assert.deepEqual(l.take('alice', 61_000), { ok: true }, 'a new window');
  });

  it('keeps at most maxKeys keys, dropping the least recently used, not the one under attack', () => {
    const l = new RateLimiter(2, 60_000, 100);
    l.take('victim', 0);
    l.take('victim', 0);
    for (let i = 0; i < 1000; i++) {
      l.take(`sprayed-${i}`, 0);
      if (i % 50 === 0) assert.equal(l.take('victim', 0).ok, false);
    }
    assert.equal(l.size, 100);
    assert.equal(l.take('victim', 0).ok, false);
  });

  it('0 means no limit', () => {
    const l = new RateLimiter(0, 60_000);
    for (let i = 0; i < 100; i++) assert.equal(l.take('x').ok, true);
    assert.equal(l.size, 0);
  });
});
