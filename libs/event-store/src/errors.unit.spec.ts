import { it } from 'node:test';
import assert from 'node:assert/strict';
import { WrongExpectedVersionError, isStoreUnavailable } from './errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

it('tells a store that cannot be reached from a message the handler cannot handle', () => {
  for (const outage of [
    pgError('57P01', 'terminating connection due to administrator command'),
    pgError('57P03', 'the database system is starting up'),
    pgError('08006'),
    pgError('53300', 'sorry, too many clients already'),
    pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    pgError('ECONNRESET', 'read ECONNRESET'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Client has encountered a connection error and is not queryable'),
    Object.assign(new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')]), { code: 'ECONNREFUSED' }),
    new AggregateError([pgError('ECONNREFUSED'), pgError('EHOSTUNREACH')]),
    new Error('wrapped', { cause: pgError('57P01') }),
  ]) {
    assert.equal(isStoreUnavailable(outage), true, String(outage));
  }
  for (const poison of [
    pgError('23505', 'duplicate key value violates unique constraint'),
    pgError('22P02', 'invalid input syntax for type uuid'),
    pgError('CH409'),
    new WrongExpectedVersionError('server-a', 1, 2),
    new Error('cannot handle this one'),
    new TypeError("Cannot read properties of undefined (reading 'spawnId')"),
    undefined,
    'a string',
    new AggregateError([pgError('ECONNREFUSED'), new Error('bug')]),
  ]) {
    assert.equal(isStoreUnavailable(poison), false, String(poison));
  }
});
