import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventData } from '@condorhub/contracts';
import { decideLauncherReport } from './launcher-report';
import { type ServerPhase, initialServerState } from './server-state';

const spawnId = '00000000-0000-4000-8000-000000000001';
const report: EventData<'LauncherReported'> = {
  spawnId,
  stage: 'preflight',
  diagnosis: 'api-token-taken',
  message: 'm',
  exitCode: null,
  stderrTail: '',
};
const at = (phase: ServerPhase, id = spawnId) => ({ ...initialServerState(), spawnId: id, phase });

describe('launcher reports', () => {
  const table: [string, ReturnType<typeof at>, boolean][] = [
    ['starting: recorded', at('starting'), true],
    ['ready: recorded (an early exit after the start)', at('ready'), true],
    ['stopping: recorded (why it stopped)', at('stopping'), true],
    ['stopped: a stale token', at('stopped'), false],
    ['another spawn now: a stale token', at('starting', 'other'), false],
  ];
  for (const [name, state, recorded] of table) {
    it(name, () => {
      const events = decideLauncherReport(state, report);
      assert.deepEqual(events, recorded ? [{ type: 'LauncherReported', data: report }] : undefined);
    });
  }
});
