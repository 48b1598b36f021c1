import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandErrorText } from './nest-command-server';

describe('commandErrorText', () => {
  it('names the failure whatever shape the handler threw', () => {
    assert.equal(commandErrorText(new Error('store unreachable')), 'store unreachable');
    assert.equal(commandErrorText('plain'), 'plain');
    // Nest's RPC exception layer rethrows errors as plain objects.
    assert.equal(commandErrorText({ status: 'error', message: 'Internal server error' }), 'Internal server error');
    assert.equal(commandErrorText({ code: 7 }), '{"code":7}');
    assert.equal(commandErrorText(undefined), 'undefined');
    assert.doesNotMatch(commandErrorText({ status: 'error' }), /\[object Object\]/);
  });
});
