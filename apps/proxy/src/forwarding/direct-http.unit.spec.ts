import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import * as http from 'node:http';
import { incomingHeaders, outgoingHeaders, type DirectTarget } from './direct-http';

const target = (userRoute: boolean): DirectTarget => ({
  secure: false,
  hostname: '127.0.0.1',
  port: 9000,
  host: '127.0.0.1:9000',
  agent: new http.Agent(),
  userRoute,
});

function fakeRequest(headers: Record<string, string | string[]>, method = 'GET'): IncomingMessage {
  return { headers, method, socket: { remoteAddress: '10.0.0.7' } } as unknown as IncomingMessage;
}

/** Flat [name, value, …] as name → values. */
function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i], [...(m.get(flat[i]) ?? []), flat[i + 1]]);
  return m;
}

test('the hub session is dropped on user routes only, other cookies kept', () => {
  const req = fakeRequest({ host: 'hub.example:8000', cookie: 'a=1; condorhub-session=xyz; b=2' });
  assert.deepEqual(asMap(outgoingHeaders(req, target(true))).get('cookie'), ['a=1; b=2']);
  assert.deepEqual(asMap(outgoingHeaders(req, target(false))).get('cookie'), ['a=1; condorhub-session=xyz; b=2']);
  const only = fakeRequest({ host: 'h', cookie: 'condorhub-session=xyz' });
  assert.equal(asMap(outgoingHeaders(only, target(true))).has('cookie'), false);
});

test('hop-by-hop request headers end here; Connection cannot remove Host or X-Forwarded-*', () => {
  const req = fakeRequest({
    host: 'hub.example:8000',
    connection: 'keep-alive, X-Hop, Host, X-Forwarded-For',
    'x-hop': 'secret',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    trailer: 'x',
    'proxy-authorization': 'Basic abc',
    'proxy-connection': 'keep-alive',
    upgrade: 'h2c',
    'x-end-to-end': 'yes',
  });
  const h = asMap(outgoingHeaders(req, target(true)));
  for (const gone of [
    'connection',
    'x-hop',
    'keep-alive',
    'te',
    'trailer',
    'proxy-authorization',
    'proxy-connection',
    'upgrade',
  ])
    assert.equal(h.has(gone), false, gone);
  assert.deepEqual(h.get('host'), ['hub.example:8000']);
  assert.deepEqual(h.get('x-end-to-end'), ['yes']);
  assert.deepEqual(h.get('x-forwarded-for'), ['10.0.0.7']);
});

test('X-Forwarded-* are appended to the client’s values, as http-proxy’s xfwd does', () => {
  const req = fakeRequest({ host: 'hub.example:8000', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https' });
  const h = asMap(outgoingHeaders(req, target(true)));
  assert.deepEqual(h.get('x-forwarded-for'), ['1.2.3.4,10.0.0.7']);
  assert.deepEqual(h.get('x-forwarded-proto'), ['https,http']);
  assert.deepEqual(h.get('x-forwarded-port'), ['8000']);
  assert.deepEqual(h.get('x-forwarded-host'), ['hub.example:8000']);
  const noPort = asMap(outgoingHeaders(fakeRequest({ host: '[::1]' }), target(true)));
  assert.deepEqual(noPort.get('x-forwarded-port'), ['80']);
});

test('a request without Host (HTTP/1.0) gets the target’s; DELETE without a length says it has no body', () => {
  const h = asMap(outgoingHeaders(fakeRequest({ 'transfer-encoding': 'chunked' }, 'DELETE'), target(true)));
  assert.deepEqual(h.get('host'), ['127.0.0.1:9000']);
  assert.deepEqual(h.get('content-length'), ['0']);
  assert.equal(h.has('transfer-encoding'), false);
  const post = asMap(outgoingHeaders(fakeRequest({ host: 'h', 'transfer-encoding': 'chunked' }, 'POST'), target(true)));
  assert.deepEqual(post.get('transfer-encoding'), ['chunked']);
});

test('response: hop-by-hop and Connection-named headers end here, repeated headers stay, Connection is ours', () => {
  const raw = [
    'Content-Type',
    'text/plain',
    'Connection',
    'keep-alive, X-Private, Host',
    'X-Private',
    'x',
    'Keep-Alive',
    'timeout=99',
    'Transfer-Encoding',
    'chunked',
    'Proxy-Authenticate',
    'Basic',
    'Upgrade',
    'h2c',
    'Set-Cookie',
    'a=1',
    'Set-Cookie',
    'b=2',
  ];
  const open = incomingHeaders(raw, true);
  const h = asMap(open.map((v, i) => (i % 2 ? v : v.toLowerCase())));
  for (const gone of ['x-private', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'upgrade'])
    assert.equal(h.has(gone), false, gone);
  assert.deepEqual(h.get('set-cookie'), ['a=1', 'b=2']);
  assert.deepEqual(h.get('connection'), ['keep-alive']);
  assert.deepEqual(asMap(incomingHeaders(raw, false)).get('connection'), ['close']);
});
