import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext } from './render';

// Each of these, put in a Location header, takes some browser (or the page the path leads to,
// which decodes it once more) to another host, or is not a path at all.
const ATTACKS: [string, unknown][] = [
  ['other host', 'https://evil.example/'],
  ['scheme only', 'https:evil.example'],
  ['javascript', 'javascript:alert(1)'],
  ['protocol-relative', '//evil.example'],
  ['backslash', '/\\evil.example'],
  ['backslash later', '/hub/..\\..\\evil'],
  ['tab after slash', '/\t/evil.example'],
  ['newline after slash', '/\n/evil.example'],
  ['carriage return', '/\r/evil.example'],
  ['leading space', ' /hub/home'],
  ['NUL', '/\0/evil.example'],
  ['DEL', '/\x7f/evil.example'],
  ['non-ASCII slash look-alike', '/\uff0fevil.example'],
  ['encoded slash', '/%2Fevil.example'],
  ['encoded slash, lower case', '/%2fevil.example'],
  ['encoded backslash', '/%5Cevil.example'],
  ['encoded tab', '/%09/evil.example'],
  ['encoded newline (header injection)', '/hub%0d%0aSet-Cookie:%20x=1'],
  ['double-encoded slash', '/%252Fevil.example'],
  ['triple-encoded slash', '/%25252Fevil.example'],
  ['encoded C1 control', '/%C2%85/evil.example'],
  ['broken encoding', '/%E0%A4%A'],
  ['relative', 'hub/home'],
  ['empty', ''],
  ['not a string', ['/hub/home']],
  ['too long', `/${'a'.repeat(2001)}`],
];

const FINE = [
  '/hub/home',
  '/hub/spawn/alice/gpu?next=%2Fuser%2Falice%2Fgpu%2F',
  '/user/alice/lab/tree/my%20notebook.ipynb',
  '/user/alice/lab?reset#section',
  '/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback',
];

describe('safeNext', () => {
  for (const [label, value] of ATTACKS) {
    it(`refuses ${label}`, () => {
      assert.equal(safeNext(value), '/hub/home');
    });
  }
  for (const path of FINE) {
    it(`keeps ${path}`, () => {
      assert.equal(safeNext(path), path);
    });
  }
});
