import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { ADMIN_TOKEN, HubHarness } from '../testing/hub-harness';
import { TestBrowser } from '../web/testing/browser';

// The test client reaches the hub from loopback, a trusted proxy: X-Forwarded-For says which
// client each request stands for, as condorhub's proxy would.
const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let n = 0;
const freshAddress = () => `10.0.${Math.floor(++n / 250)}.${n % 250}`;

before(async () => {
  await h.start('hub_rate_limits', {
    env: {
      CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-rate-limit-tests-012345',
      CONDORHUB_AUTH_RATE_PER_NAME: '3',
      CONDORHUB_AUTH_RATE_PER_ADDRESS: '5',
      CONDORHUB_AUTH_RATE_WINDOW_S: '600',
    },
    web: { CONDORHUB_DUMMY_PASSWORD: 'the-password' },
  });
  await request(h.server).post('/hub/api/users/alice').set(admin).expect(201);
});
after(() => h.stop());

const login = (username: string, from: string) =>
  request(h.server).post('/hub/login').set('X-Forwarded-For', from).type('form').send({ username, password: 'x' });

describe('rate limits on login and token endpoints', () => {
  it('counts only failures: logins that prove the password go on past both limits', async () => {
    for (let i = 0; i < 7; i++) await new TestBrowser(h.server).login('alice', 'the-password');
  });

  it('POST /hub/login: per user name, whatever the address; 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) assert.notEqual((await login('mallet', freshAddress())).status, 429);
    const res = await login('Mallet', freshAddress());
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers['retry-after']) > 0, res.headers['retry-after']);
    assert.match(res.text, /Too many attempts/);
    // Another name is not held back by mallet's guesses.
    assert.notEqual((await login('someone', freshAddress())).status, 429);
  });

  it('POST /hub/login: per client address, whatever the name', async () => {
    const from = freshAddress();
    for (let i = 0; i < 5; i++) assert.notEqual((await login(`name${i}`, from)).status, 429);
    const res = await login('name-new', from);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.notEqual((await login('name-new', freshAddress())).status, 429, 'another client is not held back');
  });

  it('POST /hub/api/oauth2/token: per OAuth client; 429 in OAuth’s JSON', async () => {
    const exchange = () =>
      request(h.server).post('/hub/api/oauth2/token').set('X-Forwarded-For', freshAddress()).type('form').send({
        grant_type: 'authorization_code',
        client_id: 'jupyterhub-user-alice',
        client_secret: 'guess',
        code: 'guess',
        redirect_uri: '/user/alice/oauth_callback',
      });
    for (let i = 0; i < 3; i++) assert.equal((await exchange()).status, 401);
    const res = await exchange();
    assert.equal(res.status, 429);
    assert.equal(res.body.error, 'slow_down');
    assert.ok(Number(res.headers['retry-after']) > 0);
  });

  it('POST /hub/api/users/<name>/tokens: per user name; 429 in JupyterHub’s JSON, no token made', async () => {
    const create = (auth: string) =>
      request(h.server)
        .post('/hub/api/users/alice/tokens')
        .set('Authorization', `token ${auth}`)
        .set('X-Forwarded-For', freshAddress());
    for (let i = 0; i < 4; i++) assert.equal((await create(ADMIN_TOKEN)).status, 201, 'successes do not count');
    for (let i = 0; i < 3; i++) assert.equal((await create(`guess-${i}`)).status, 401);
    const res = await create(ADMIN_TOKEN);
    assert.equal(res.status, 429);
    assert.match(res.body.message, /Too many attempts/);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(res.body.token, undefined);
  });
});
