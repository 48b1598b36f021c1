import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cullSettings } from './cull-idle-servers';

it('the culler looks every tenth of the shorter limit, between 1 and 60 s, unless told', () => {
  const every = (idle: number, maxAge: number, everyS?: number) =>
    cullSettings({ CONDORHUB_CULL_IDLE_S: idle, CONDORHUB_CULL_MAX_AGE_S: maxAge, CONDORHUB_CULL_EVERY_S: everyS })
      .everyS;
  assert.equal(every(3600, 0), 60);
  assert.equal(every(300, 0), 30);
  assert.equal(every(3600, 120), 12);
  assert.equal(every(2, 0), 1);
  assert.equal(every(3600, 0, 5), 5);
});
