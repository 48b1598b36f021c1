import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import type { LauncherCredential } from './launcher-credential';
import { type ServerState, initialServerState } from './server-state';
import { type ExchangeAsk, decideTokenExchange } from './token-exchange';

const spawnId = '00000000-0000-4000-8000-000000000001';
const now = Date.UTC(2026, 0, 1);
const h = (c: string) => c.repeat(64);
const ask: ExchangeAsk = { spawnId, secretHash: h('a'), launcherKeyHash: h('b'), remoteAddress: '10.0.0.5', now };
const bootstrap = { hash: h('a'), expiresAt: new Date(now + 60_000).toISOString(), user: 'ann', serverName: '' };
const fresh: LauncherCredential = { streamVersion: 1, bootstrap, refusals: 0 };
/** Issued at global position 5, to the launcher whose key hashes to `key`. */
const issuedTo = (key: string): LauncherCredential => ({
  ...fresh,
  streamVersion: 2,
  issued: { tokenId: '7', launcherKeyHash: key, position: 5n },
});

/** Server events at the given global positions. */
function server(...events: [NewEvent, number][]): EventEnvelope[] {
  return events.map(([e, at], i) => ({ ...e, streamVersion: i + 1, globalPosition: String(at) }) as EventEnvelope);
}
const running = (at: number): [NewEvent, number] => [{ type: 'JobRunning', data: { spawnId } } as NewEvent, at];
const idle = (at: number): [NewEvent, number] => [{ type: 'JobIdle', data: { spawnId } } as NewEvent, at];
const at = (over: Partial<ServerState>): ServerState => ({ ...initialServerState(), spawnId, ...over });
const live = at({ phase: 'ready', host: 'n1' });

describe('launcher token exchange', () => {
  const table: [string, LauncherCredential, EventEnvelope[], ServerState, Partial<ExchangeAsk>, boolean, string][] = [
    ['first exchange of a running job: issued', fresh, server(running(3)), live, {}, false, 'issue'],
    ['a forged secret', fresh, server(running(3)), live, { secretHash: h('c') }, false, 'refuse 401'],
    ['no credential issued', { streamVersion: 0, refusals: 0 }, [], live, {}, false, 'refuse 401'],
    ['an expired credential', fresh, server(running(3)), live, { now: now + 60_000 }, false, 'refuse 401'],
    ['not running yet: wait', fresh, server(), at({ phase: 'queued' }), {}, false, 'wait-for-run'],
    [
      'between two runs: wait',
      fresh,
      server(running(3), idle(4)),
      at({ phase: 'queued', host: 'n1' }),
      {},
      false,
      'wait-for-run',
    ],
    ['still not running after the wait: retry later', fresh, server(), at({ phase: 'queued' }), {}, true, 'refuse 503'],
    ['the spawn stopping', fresh, server(running(3)), at({ phase: 'stopping', host: 'n1' }), {}, false, 'refuse 409'],
    ['another spawn now', fresh, server(running(3)), { ...live, spawnId: 'other' }, {}, false, 'refuse 409'],
    [
      'the same launcher again: issued, the first revoked',
      issuedTo(h('b')),
      server(running(3)),
      live,
      {},
      false,
      'issue 7',
    ],
    [
      'another process, same run: taken, spawn failed while starting',
      issuedTo(h('d')),
      server(running(3)),
      at({ phase: 'routing', host: 'n1' }),
      {},
      false,
      'taken fail',
    ],
    [
      'another process, same run, spawn ready: taken, spawn kept',
      issuedTo(h('d')),
      server(running(3)),
      live,
      {},
      false,
      'taken',
    ],
    [
      'a new launcher after the job ran again: issued',
      issuedTo(h('d')),
      server(running(3), running(9)),
      live,
      {},
      false,
      'issue 7',
    ],
  ];
  for (const [name, credential, events, state, over, waited, expected] of table) {
    it(name, () => {
      const v = decideTokenExchange(credential, events, state, { ...ask, ...over }, waited);
      const got =
        v.kind === 'refuse'
          ? `refuse ${v.status}`
          : v.kind === 'issue'
            ? `issue${v.revoke ? ` ${v.revoke}` : ''}`
            : v.kind === 'taken'
              ? `taken${v.failSpawn ? ' fail' : ''}`
              : v.kind;
      assert.equal(got, expected);
    });
  }

  it('records the refusal with the second key and where it came from', () => {
    const v = decideTokenExchange(issuedTo(h('d')), server(running(3)), live, ask, false);
    assert.equal(v.kind, 'taken');
    assert.deepEqual(v.kind === 'taken' && v.events, [
      {
        type: 'ApiTokenExchangeRefused',
        data: { spawnId, reason: 'already-exchanged', launcherKeyHash: h('b'), remoteAddress: '10.0.0.5' },
      },
    ]);
  });
});
