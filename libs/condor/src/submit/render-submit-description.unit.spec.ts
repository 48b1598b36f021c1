import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CondorInvalidInputError, quoteArguments, quoteEnvironment, renderSubmitDescription } from '../index';

// Reference decoder of HTCondor's new-style argument syntax (htcondor-jdl.rst "arguments"):
// used only to check that our quoting round-trips.
function decodeNewStyle(value: string): string[] {
  assert.ok(value.startsWith('"') && value.endsWith('"'));
  const inner = value.slice(1, -1).replaceAll('$(DOLLAR)', '$').replaceAll('""', '"');
  const out: string[] = [];
  let cur: string | undefined;
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quoted) {
      if (c === "'" && inner[i + 1] === "'") {
        cur += "'";
        i++;
      } else if (c === "'") quoted = false;
      else cur += c;
    } else if (c === "'") {
      quoted = true;
      cur ??= '';
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

describe('submit description rendering', () => {
  it('quotes arguments the new-style way (round trip for any single-line text)', () => {
    assert.equal(quoteArguments(['-c', 'exec it\'s "x"']), `"'-c' 'exec it''s ""x""'"`);
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !/[\r\n\0]/.test(s))), (args) => {
        assert.deepEqual(decodeNewStyle(quoteArguments(args)), args);
      }),
    );
  });

  it('quotes environment values and escapes $ as $(DOLLAR)', () => {
    assert.equal(quoteEnvironment({ A: "x y'z", B: '$HOME' }), `"A='x y''z' B='$(DOLLAR)HOME'"`);
    assert.throws(() => quoteEnvironment({ 'BAD-NAME': 'x' }), CondorInvalidInputError);
  });

  it('renders the built-in template with requirements, exclusions and custom attributes', () => {
    const text = renderSubmitDescription(
      {
        owner: 'alice',
        executable: '/usr/bin/python3',
        arguments: ['-m', 'launcher'],
        environment: { JUPYTERHUB_API_TOKEN: 'tok' },
        requestCpus: 2,
        requestMemoryMb: 2048,
        requirements: 'OpSys == "LINUX"',
        excludeMachines: ['127.0.0.3', 'node7.example.org'],
        output: '/home/alice/.condorhub/out',
        error: '/home/alice/.condorhub/err',
        spawnId: 'abc',
      },
      { instance: 'hub1' },
    );
    assert.match(text, /^executable = \/usr\/bin\/python3$/m);
    assert.match(text, /^arguments = "'-m' 'launcher'"$/m);
    assert.match(
      text,
      /^requirements = \(OpSys == "LINUX"\) && \(Machine =!= "127.0.0.3"\) && \(Machine =!= "node7.example.org"\)$/m,
    );
    assert.match(text, /^\+CondorhubInstance = "hub1"$/m);
    assert.match(text, /^\+CondorhubSpawnId = "abc"$/m);
    assert.match(text, /^request_memory = 2048$/m);
    assert.doesNotMatch(text, /^log =/m, 'unset optional keys are left out');
    assert.match(text, /^queue 1$/m);
  });

  it('refuses newline injection, unknown placeholders and templates without queue', () => {
    assert.throws(
      () => renderSubmitDescription({ owner: 'a', executable: '/bin/x\nqueue 5' }),
      CondorInvalidInputError,
    );
    assert.throws(
      () => renderSubmitDescription({ owner: 'a', executable: '/x', arguments: ['a\nb'] }),
      CondorInvalidInputError,
    );
    assert.throws(
      () => renderSubmitDescription({ owner: 'a', executable: '/x', excludeMachines: ['a" || true'] }),
      CondorInvalidInputError,
    );
    assert.throws(
      () =>
        renderSubmitDescription(
          { owner: 'a', executable: '/x' },
          { template: 'executable = {{nope}}\n{{custom_attributes}}\nqueue\n' },
        ),
      CondorInvalidInputError,
    );
    assert.throws(
      () =>
        renderSubmitDescription(
          { owner: 'a', executable: '/x' },
          { template: 'executable = {{executable}}\n{{custom_attributes}}\n' },
        ),
      CondorInvalidInputError,
    );
  });

  it('accepts a site template with its own variables', () => {
    const text = renderSubmitDescription(
      { owner: 'a', executable: '/x', templateVars: { accounting_group: 'group_u.$x' } },
      {
        template:
          'executable = {{executable}}\naccounting_group = {{accounting_group}}\n{{custom_attributes}}\nqueue\n',
      },
    );
    assert.equal(
      text,
      'executable = /x\naccounting_group = group_u.$(DOLLAR)x\n+CondorhubInstance = "condorhub"\nqueue\n',
    );
    assert.throws(
      () =>
        renderSubmitDescription({ owner: 'a', executable: '/x' }, { template: 'executable = {{executable}}\nqueue\n' }),
      CondorInvalidInputError,
    );
  });
});
