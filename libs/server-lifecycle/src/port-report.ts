import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { ServerState } from './server-state';

/**
 * 'requested' too: the token exists before condor_submit returns, and a fast job can report
 * before the spawner has recorded JobSubmitted; such a report waits for the job to run.
 */
const WAITING_FOR_PORT = new Set(['requested', 'submitted', 'queued', 'starting']);
/** A port was reported before: a new report is a new run of the job (see isNewRun). */
const REPORTED = new Set(['port-reported', 'routing', 'ready']);

/** HTCondor started the job again since its last port report. */
export const isNewRun = (s: ServerState) => !!s.reported && (s.runs ?? 0) > s.reported.run;

/** A launcher's port report: the spawn its token names, and the port. */
export interface PortReport {
  spawnId: string;
  port: number;
}

/** What the registry has waited for already while deciding on this report. */
export interface PortReportWaits {
  /** For the poller to see the job start again (a new port on what looks like the same run). */
  newRun: boolean;
  /** For the poller to see the job run at all (it reported before JobRunning was recorded). */
  host: boolean;
}

export type PortReportVerdict =
  | { kind: 'accept'; events: NewEvent[] }
  /** The same report again (the launcher retries after a lost reply): answered, nothing recorded. */
  | { kind: 'repeat' }
  /** Ask the poller for a poll and look again; `waits` says which. */
  | { kind: 'wait'; for: keyof PortReportWaits }
  | { kind: 'refuse'; status: 409 | 503; message: string };

/**
 * The port report of a spawn that is waiting for its port is accepted once the job's host is
 * known. A spawn that reported before accepts a new port when the job runs again (HTCondor
 * rescheduled it) or, after a wait for the poller to say so, on the same host (its launcher
 * restarted); the same port again on the same run is a repeat. Everything else is refused.
 */
export function decidePortReport(state: ServerState, report: PortReport, waited: PortReportWaits): PortReportVerdict {
  if (state.spawnId !== report.spawnId)
    return { kind: 'refuse', status: 409, message: 'stale token: that spawn is over' };
  if (!WAITING_FOR_PORT.has(state.phase)) {
    if (!REPORTED.has(state.phase) || !state.reported) {
      return { kind: 'refuse', status: 409, message: `server is not waiting for a port (it is ${state.phase})` };
    }
    if (!isNewRun(state) && state.reported.port === report.port) return { kind: 'repeat' };
    // A new port on what looks like the same run: the poller may not have seen the job start
    // again yet (elsewhere, perhaps); once waited for, the report stands on the same host.
    if (!isNewRun(state) && !waited.newRun) return { kind: 'wait', for: 'newRun' };
  }
  if (!state.host) {
    if (!waited.host) return { kind: 'wait', for: 'host' };
    return { kind: 'refuse', status: 503, message: 'the job is not known to be running yet; retry in a few seconds' };
  }
  return {
    kind: 'accept',
    events: [newEvent('PortReported', { spawnId: report.spawnId, host: state.host, port: report.port })],
  };
}
