import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNewUserNames } from './add-users';

describe('the add-users form', () => {
  it('takes names separated by spaces, commas, semicolons or new lines, once each', () => {
    assert.deepEqual(parseNewUserNames(' alice, bob\ncarol;alice  dan\r\n'), ['alice', 'bob', 'carol', 'dan']);
  });

  it('refuses the whole list when a name is not a user name, naming it', () => {
    assert.throws(() => parseNewUserNames('alice Bob ../x'), /Not valid user names: Bob, \.\.\/x .*No user was added/);
  });

  it('refuses nothing, and too many', () => {
    assert.throws(() => parseNewUserNames(''), /Which users\?/);
    assert.throws(() => parseNewUserNames(undefined), /Which users\?/);
    assert.throws(() => parseNewUserNames(['alice']), /Which users\?/);
    const many = Array.from({ length: 201 }, (_, i) => `u${i}`).join(' ');
    assert.throws(() => parseNewUserNames(many), /At most 200 users at a time \(got 201\)/);
  });
});
