import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress, trustedSet } from './client-address';

describe('clientAddress', () => {
  const proxies = ['127.0.0.1', '::1', '10.9.0.0/16'];
  it('is the socket peer when the peer is not a trusted proxy, whatever the header says', () => {
    assert.equal(clientAddress('10.1.2.3', '10.4.5.6', proxies), '10.1.2.3');
    assert.equal(clientAddress('::ffff:10.1.2.3', undefined, proxies), '10.1.2.3');
  });
  it('behind a trusted proxy, the rightmost entry it appended', () => {
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3', proxies), '10.1.2.3');
    assert.equal(clientAddress('127.0.0.1', 'forged, 10.1.2.3', proxies), '10.1.2.3');
    assert.equal(clientAddress('::ffff:127.0.0.1', ['10.0.0.7, 10.1.2.3'], proxies), '10.1.2.3');
  });
  it('walks back through a chain of trusted proxies, and stops at an unreadable entry', () => {
    assert.equal(clientAddress('127.0.0.1', '10.1.2.3, 10.9.4.4', proxies), '10.1.2.3');
    assert.equal(clientAddress('127.0.0.1', 'junk', proxies), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '', proxies), '127.0.0.1');
  });
  it('refuses a trusted entry that is not an address', () => {
    assert.throws(() => trustedSet(['proxy.example']), /CONDORHUB_TRUSTED_PROXIES/);
  });
});
