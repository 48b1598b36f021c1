import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  parseCookies,
  readCookie,
  serializeCookie,
  signSession,
  verifySession,
  SESSION_COOKIE_NAME,
} from './session-cookie';

const secret = 'test-secret-0123456789';
const now = 1_800_000_000;

test('sign then verify returns the session', () => {
  const v = signSession(secret, { user: 'alice', admin: false, exp: now + 60 });
  assert.deepEqual(verifySession(secret, v, now), { user: 'alice', admin: false, exp: now + 60 });
  assert.equal(SESSION_COOKIE_NAME, 'condorhub-session');
});

test('the value has the documented format', () => {
  const v = signSession(secret, { user: 'bob', admin: true, exp: now + 60 });
  const [payload, sig] = v.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), { u: 'bob', a: true, exp: now + 60 });
  assert.equal(sig, createHmac('sha256', secret).update(payload).digest('base64url'));
});

test('tampered payload, tampered signature, other secret and garbage are refused', () => {
  const v = signSession(secret, { user: 'alice', admin: false, exp: now + 60 });
  const [payload, sig] = v.split('.');
  const forged = Buffer.from(JSON.stringify({ u: 'alice', a: true, exp: now + 60 })).toString('base64url');
  assert.equal(verifySession(secret, `${forged}.${sig}`, now), undefined);
  assert.equal(verifySession(secret, `${payload}.${sig.slice(0, -2)}AA`, now), undefined);
  assert.equal(verifySession('another-secret-xxxxxxx', v, now), undefined);
  for (const bad of ['', '.', 'abc', `${payload}.`, `.${sig}`, `${payload}.${sig}.x`]) {
    assert.equal(verifySession(secret, bad, now), undefined, bad);
  }
});

test('expired sessions are refused', () => {
  const v = signSession(secret, { user: 'alice', admin: false, exp: now });
  assert.equal(verifySession(secret, v, now), undefined);
  assert.equal(verifySession(secret, v, now + 1), undefined);
  assert.ok(verifySession(secret, v, now - 1));
});

test('a validly signed payload with the wrong shape is refused', () => {
  const payload = Buffer.from(JSON.stringify({ u: 42, exp: now + 60 })).toString('base64url');
  const sig = createHmac('sha256', secret).update(payload).digest('base64url');
  assert.equal(verifySession(secret, `${payload}.${sig}`, now), undefined);
});

test('readCookie finds one cookie among others', () => {
  assert.equal(readCookie('a=1; condorhub-session=xyz; b=2', 'condorhub-session'), 'xyz');
  assert.equal(readCookie('condorhub-session=xyz', 'condorhub-session'), 'xyz');
  assert.equal(readCookie('xcondorhub-session=no; b=2', 'condorhub-session'), undefined);
  assert.equal(readCookie(undefined, 'condorhub-session'), undefined);
});

test('an empty secret signs nothing and verifies nothing', () => {
  assert.throws(() => signSession('', { user: 'alice', admin: false, exp: now + 60 }), /must not be empty/);
  assert.throws(
    () => signSession(Buffer.alloc(0), { user: 'alice', admin: false, exp: now + 60 }),
    /must not be empty/,
  );
  // A value signed with the empty key (by anyone) is still refused.
  const payload = Buffer.from(JSON.stringify({ u: 'alice', a: true, exp: now + 60 })).toString('base64url');
  const sig = createHmac('sha256', '').update(payload).digest('base64url');
  assert.equal(verifySession('', `${payload}.${sig}`, now), undefined);
});

test('a validly signed session that never expires (exp 1e999 parses to Infinity) is refused', () => {
  const payload = Buffer.from('{"u":"alice","a":true,"exp":1e999}').toString('base64url');
  const sig = createHmac('sha256', secret).update(payload).digest('base64url');
  assert.equal(verifySession(secret, `${payload}.${sig}`, now), undefined);
});

test('parseCookies reads every cookie, unquotes, and keeps the first of a repeated name', () => {
  const c = parseCookies('a=1; condorhub-session="xyz"; a=2; junk; b=');
  assert.equal(c.get('a'), '1');
  assert.equal(c.get('condorhub-session'), 'xyz');
  assert.equal(c.get('b'), '');
  assert.equal(c.has('junk'), false);
  assert.equal(c.size, 3);
  assert.equal(parseCookies(undefined).size, 0);
});

test('serializeCookie writes SameSite=Lax and HttpOnly by default, and expires a cookie with Max-Age 0', () => {
  assert.equal(serializeCookie('n', 'v'), 'n=v; Path=/; SameSite=Lax; HttpOnly');
  assert.equal(
    serializeCookie('n', 'v', { maxAgeS: 3600.7, path: '/hub/', secure: true }),
    'n=v; Path=/hub/; SameSite=Lax; Max-Age=3600; HttpOnly; Secure',
  );
  assert.equal(
    serializeCookie('n', '', { maxAgeS: 0, httpOnly: false }),
    'n=; Path=/; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
  );
});
