import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BAD_ESCAPE, DOT_SEGMENT, ENCODED_SLASH, NOT_A_PATH, canonicalPath } from './canonical-path';

describe('canonical request paths', () => {
  it('leaves a canonical path as it is (the same string)', () => {
    for (const url of [
      '/',
      '/user/alice/lab',
      '/user/alice/',
      '/user/alice/api?x=%2F..//',
      '/user/alice/.ipynb_checkpoints/a',
      '/user/a%40b/x',
      '/hub/a.b/c..d',
    ]) {
      assert.equal(canonicalPath(url), url, url);
    }
  });

  it('decodes percent-encoded unreserved characters and merges slashes, so the route matched is the path forwarded', () => {
    assert.equal(canonicalPath('/%75ser/bob/x'), '/user/bob/x');
    assert.equal(canonicalPath('/%75%73%65%72/bob/x?token=%75'), '/user/bob/x?token=%75');
    assert.equal(canonicalPath('//user/bob/x'), '/user/bob/x');
    assert.equal(canonicalPath('/user//bob///x//'), '/user/bob/x/');
    assert.equal(canonicalPath('/user/a%7eb/%2e%2Ex'), '/user/a~b/..x');
    // Reserved and non-ASCII escapes keep their meaning: left encoded.
    assert.equal(canonicalPath('/user/a%40b/%E2%9C%93//x'), '/user/a%40b/%E2%9C%93/x');
  });

  it('refuses what has no canonical form with the same meaning', () => {
    for (const url of [
      '/user/bob/../alice/',
      '/user/./bob',
      '/user/bob/..',
      '/user/%2e%2e/alice/',
      '/user/bob/.%2E/x',
      '/user/bob/%2E?x',
    ])
      assert.equal(canonicalPath(url), DOT_SEGMENT, url);
    for (const url of ['/user%2Fbob/x', '/user/alice%2f..%2fbob/'])
      assert.equal(canonicalPath(url), ENCODED_SLASH, url);
    for (const url of ['/user/%zz/', '/user/a%2', '/user/a%?x=1']) assert.equal(canonicalPath(url), BAD_ESCAPE, url);
    for (const url of ['http://evil/user/bob/', '*', 'user/bob']) assert.equal(canonicalPath(url), NOT_A_PATH, url);
  });
});
