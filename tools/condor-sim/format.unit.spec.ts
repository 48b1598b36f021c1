// condor-sim's output against the HTCondor samples (copied into libs/condor/src/__fixtures__).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// Plain JS (fast CLI start-up), loaded as CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fmt = require('./lib/format.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const submit = require('./lib/submit-file.js');

const fixture = (n: string) => fs.readFileSync(path.join(__dirname, '../../libs/condor/src/__fixtures__', n), 'utf8');
const REQ =
  '(TARGET.Arch == "X86_64") && (TARGET.OpSys == "LINUX") && (TARGET.Disk >= RequestDisk) && (TARGET.Memory >= RequestMemory) && (TARGET.Cpus >= RequestCpus) && (TARGET.HasFileTransfer)';
const ads = [
  {
    ClusterId: 123,
    ProcId: 0,
    JobStatus: 2,
    Owner: 'alice',
    EnteredCurrentStatus: 1718030000,
    RemoteHost: 'slot1_3@node7.example.org',
    Requirements: { expr: REQ },
  },
  {
    ClusterId: 123,
    ProcId: 1,
    JobStatus: 1,
    Owner: 'alice',
    EnteredCurrentStatus: 1718029990,
    Requirements: { expr: REQ },
  },
];

describe('condor-sim output formats', () => {
  it('condor_q -json is byte-identical to sample 07, and empty for no match', () => {
    assert.equal(fmt.condorQJson(ads), fixture('condor_q-json-2-jobs.txt'));
    assert.equal(fmt.condorQJson([]), '');
  });
  it('condor_history -json frames zero matches as "[\\n]\\n" (sample 19)', () => {
    assert.equal(fmt.condorHistoryJson([]), fixture('condor_history-json-empty.txt'));
    assert.equal(
      fmt.condorHistoryJson(
        [
          {
            ClusterId: 123,
            ProcId: 0,
            JobStatus: 3,
            EnteredCurrentStatus: 1718031000,
            RemoveReason: 'via condor_rm (by user alice)',
            Owner: 'alice',
          },
        ],
        ['ClusterId', 'ProcId', 'JobStatus', 'ExitCode', 'RemoveReason', 'EnteredCurrentStatus'],
      ),
      fixture('condor_history-json-removed.txt'),
    );
  });
  it('-af prints undefined for missing attributes, j puts the id first (sample 08)', () => {
    assert.equal(fmt.autoformat(ads, ['JobStatus', 'RemoteHost'], ''), '2 slot1_3@node7.example.org\n1 undefined\n');
    assert.equal(
      fmt.autoformat(ads, ['JobStatus', 'RemoteHost', 'EnteredCurrentStatus'], 'j'),
      '123.0 2 slot1_3@node7.example.org 1718030000\n123.1 1 undefined 1718029990\n',
    );
  });
  it('reals use %.16G with .0 when integral; control characters as \\u00XX', () => {
    assert.deepEqual(
      [0, 3, 0.5, 1e20].map((n) => fmt.formatReal(n)),
      ['0.0', '3.0', '0.5', '1E+20'],
    );
    assert.equal(fmt.escapeJsonString('a"b\\c\u0001/'), 'a\\"b\\\\c\\u0001/');
  });
  it('reads the jdl new-style arguments example', () => {
    assert.deepEqual(submit.parseArguments(`"one ""two"" 'spacey ''quoted'' argument'"`).list, [
      'one',
      '"two"',
      "spacey 'quoted' argument",
    ]);
    assert.deepEqual(submit.parseEnvironment(`"one=1 two=""2"" three='spacey ''quoted'' value'"`), {
      one: '1',
      two: '"2"',
      three: "spacey 'quoted' value",
    });
  });
});
