import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runUnittest, type UnittestResult } from './testing/python-unittest';

// The launcher is Python (it runs on workers without Node); this puts its unittest suite
// under `npm test` so CI runs it with everything else. A Python test that skips (it needs root,
// say) shows as skipped here too, with its reason, rather than as one more pass.
const root = path.resolve(__dirname, '..', '..');
const python = process.env.CONDORHUB_PYTHON ?? 'python3';

function assertRan(res: UnittestResult): NonNullable<UnittestResult['tally']> {
  assert.equal(res.error, undefined, `could not run ${python}: ${String(res.error)}\n${res.output}`);
  assert.equal(res.signal, null, `unittest was killed by ${res.signal} (timeout?)\n${res.output}`);
  assert.equal(res.status, 0, `python3 unittest failed with exit code ${res.status}:\n${res.output}`);
  assert.ok(res.tally, `unittest wrote no result:\n${res.output}`);
  return res.tally;
}

test('launcher python unittest suite', { timeout: 300_000 }, async (t) => {
  const tally = assertRan(runUnittest(python, root, 'apps/launcher/tests', 'apps/launcher', 240_000));
  assert.ok(tally.ran > 0, 'no tests found');
  await t.test(`${tally.ran - tally.skipped.length} of ${tally.ran} python tests pass`, () => {
    assert.equal(tally.failed, 0);
  });
  for (const s of tally.skipped) await t.test(s.id, { skip: s.reason }, () => {});
});

test('the python runner tells skipped tests from passed ones', { timeout: 60_000 }, () => {
  const tally = assertRan(
    runUnittest(python, root, 'apps/launcher/testing/unittest-sample', 'apps/launcher/testing/unittest-sample', 50_000),
  );
  assert.equal(tally.ran, 3);
  assert.equal(tally.failed, 0);
  assert.deepEqual(
    tally.skipped.sort((a, b) => a.id.localeCompare(b.id)),
    [
      { id: 'test_sample.Sample.test_skipped_by_decorator', reason: 'never' },
      { id: 'test_sample.Sample.test_skips', reason: 'not here' },
    ],
  );
});
