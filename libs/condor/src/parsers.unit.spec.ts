import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  CondorParseError,
  parseCondorHistoryJson,
  parseCondorQJson,
  parseCondorRmOutput,
  parseSubmitOutput,
  submitErrorMessage,
} from './index';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '__fixtures__', name), 'utf8');

describe('condor_q -json parser (real sample framing)', () => {
  it('reads the two jobs of sample 07 with their states, slot and host', () => {
    const jobs = parseCondorQJson(fixture('condor_q-json-2-jobs.txt'));
    assert.equal(jobs.length, 2);
    assert.deepEqual(jobs[0], {
      jobId: '123.0',
      clusterId: 123,
      procId: 0,
      statusCode: 2,
      status: 'running',
      owner: 'alice',
      enteredCurrentStatus: 1718030000,
      remoteHost: 'slot1_3@node7.example.org',
      slot: 'slot1_3',
      host: 'node7.example.org',
    });
    assert.equal(jobs[1].status, 'idle');
    assert.equal(jobs[1].remoteHost, undefined, 'RemoteHost is absent while idle');
  });

  it('treats empty stdout as "no job matched" (condor_q prints nothing, not [])', () => {
    assert.deepEqual(parseCondorQJson(''), []);
  });

  it('maps every JobStatus 1-7 and keeps unknown codes as "other"', () => {
    const names = [1, 2, 3, 4, 5, 6, 7, 10].map(
      (s) => parseCondorQJson(JSON.stringify([{ ClusterId: 1, ProcId: 0, JobStatus: s }]))[0].status,
    );
    assert.deepEqual(names, [
      'idle',
      'running',
      'removing',
      'completed',
      'held',
      'transferring_output',
      'suspended',
      'other',
    ]);
  });

  it('reads hold and remove reasons, exit code, LastRemoteHost and a glidein slot name', () => {
    const [held, gone] = parseCondorQJson(
      JSON.stringify([
        {
          ClusterId: 7,
          ProcId: 0,
          JobStatus: 5,
          HoldReason: 'Error from slot1_1@x: boom',
          HoldReasonCode: 3,
          HoldReasonSubCode: 0,
          LastRemoteHost: 'slot1@glidein_1@c2023.example.edu',
        },
        {
          ClusterId: 7,
          ProcId: 1,
          JobStatus: 3,
          RemoveReason: 'via condor_rm (by user alice)',
          ExitCode: null,
          CondorhubSpawnId: 's-1',
        },
      ]),
    );
    assert.equal(held.holdReasonCode, 3);
    assert.equal(held.lastHost, 'c2023.example.edu');
    assert.equal(gone.removeReason, 'via condor_rm (by user alice)');
    assert.equal(gone.exitCode, undefined, 'null (ClassAd undefined) reads as absent');
    assert.equal(gone.spawnId, 's-1');
  });

  it('rejects wrong shapes, wrong types and duplicates with a typed error', () => {
    for (const bad of [
      '[',
      '{}',
      'null',
      '[1]',
      '[{"ClusterId":1,"ProcId":0}]',
      '[{"ClusterId":"1","ProcId":0,"JobStatus":1}]',
      '[{"ClusterId":1,"ProcId":0,"JobStatus":2,"RemoteHost":5}]',
      '[{"ClusterId":1,"ProcId":0,"JobStatus":1},{"ClusterId":1,"ProcId":0,"JobStatus":2}]',
      '\n-- Failed to fetch ads from: <127.0.0.1:9618> : host\n',
    ]) {
      assert.throws(() => parseCondorQJson(bad), CondorParseError, bad);
    }
  });
});

describe('parsers never crash and never invent a state (property-based)', () => {
  const sample = fixture('condor_q-json-2-jobs.txt');

  it('garbage text gives a typed error or a fully valid list, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          const jobs = parseCondorQJson(text);
          for (const j of jobs) assert.match(j.jobId, /^\d+\.\d+$/);
        } catch (e) {
          assert.ok(e instanceof CondorParseError, `unexpected ${String(e)}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('any truncation of a real answer is an error, never fewer jobs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: sample.length - 2 }), (cut) => {
        assert.throws(() => parseCondorQJson(sample.slice(0, cut)), CondorParseError);
        assert.throws(() => parseCondorHistoryJson(sample.slice(0, cut)), CondorParseError);
      }),
      { numRuns: 300 },
    );
  });

  it('random JSON values give a typed error or valid states', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        try {
          parseCondorQJson(JSON.stringify(v));
        } catch (e) {
          assert.ok(e instanceof CondorParseError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('huge output is refused with a typed error', () => {
    const ad = '{"ClusterId":1,"ProcId":0,"JobStatus":1}';
    // The size check runs before JSON.parse (limit lowered so the test needs no 256 MiB string).
    assert.throws(() => parseCondorQJson(`[${ad}]`.padEnd(5000, ' '), 4096), CondorParseError);
    const many = `[${Array.from({ length: 20000 }, (_, i) => ad.replace('"ProcId":0', `"ProcId":${i}`)).join(',\n')}]`;
    assert.equal(parseCondorQJson(many).length, 20000);
  });
});

describe('condor_history -json parser', () => {
  it('reads sample 19: removed job with its RemoveReason', () => {
    const [job] = parseCondorHistoryJson(fixture('condor_history-json-removed.txt'));
    assert.equal(job.status, 'removing');
    assert.equal(job.removeReason, 'via condor_rm (by user alice)');
  });
  it('"[\\n]\\n" is no match; empty stdout is damage', () => {
    assert.deepEqual(parseCondorHistoryJson(fixture('condor_history-json-empty.txt')), []);
    assert.throws(() => parseCondorHistoryJson(''), CondorParseError);
  });
});

describe('condor_submit output', () => {
  it('reads the plain doc sample (cluster 6)', () => {
    assert.deepEqual(parseSubmitOutput(fixture('condor_submit-plain-stdout.txt')), {
      clusterId: 6,
      first: '6.0',
      last: '6.0',
    });
  });
  it('reads -terse output', () => {
    assert.deepEqual(parseSubmitOutput('123.0 - 123.2\n'), { clusterId: 123, first: '123.0', last: '123.2' });
  });
  it('refuses garbage with a typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          const r = parseSubmitOutput(s);
          assert.match(r.first, /^\d+\.\d+$/);
        } catch (e) {
          assert.ok(e instanceof CondorParseError);
        }
      }),
    );
    assert.throws(() => parseSubmitOutput('Submitting job(s).\n'), CondorParseError);
  });
  it("keeps condor's own reason from a rejected submit (sample 02)", () => {
    const stderr = fixture('condor_submit-rejected-console.txt').split('\n').slice(1).join('\n');
    assert.equal(
      submitErrorMessage(`\n${stderr}`),
      'Failed to commit job submission into the queue.; This pool does not accept standard universe jobs.',
    );
  });
});

describe('condor_rm output', () => {
  it('classifies the message/exit matrix of sample 09', () => {
    assert.equal(parseCondorRmOutput('123.0', 0, 'Job 123.0 marked for removal\n', ''), 'marked');
    assert.equal(parseCondorRmOutput('123.0', 1, '', '\nJob 123.0 already marked for removal\n'), 'already-removing');
    assert.equal(parseCondorRmOutput('999.0', 1, '', '\nJob 999.0 not found\n'), 'not-found');
    assert.equal(parseCondorRmOutput('1.0', 1, '', '\nPermission denied to remove job 1.0\n'), 'permission-denied');
    // Another job's message, or a message with the wrong exit status, is not a verdict.
    assert.equal(parseCondorRmOutput('1.0', 1, '', '\nJob 11.0 not found\n'), undefined);
    assert.equal(parseCondorRmOutput('1.0', 0, '', '\nJob 1.0 not found\n'), undefined);
    assert.equal(parseCondorRmOutput('1.0', 1, '', 'Error: cannot locate schedd\n'), undefined);
  });
});
