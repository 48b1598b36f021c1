import type { Pool } from 'pg';
import type { CondorClient } from '@condorhub/condor';
import { type EventEnvelope, type NewEvent, parseServerStreamId } from '@condorhub/contracts';
import { scheduleMessage } from '@condorhub/event-store';
import {
  type RemovalResult,
  type RemovalSettings,
  type ServerState,
  decideRemovalOutcome,
} from '@condorhub/server-lifecycle';

/** condor_rm where "not found" and "already removing" are success; errors become values. */
export async function removeJobOf(
  condor: CondorClient,
  req: { jobId: string; owner: string; reason: string },
): Promise<RemovalResult> {
  try {
    const r = await condor.remove({ jobId: req.jobId as never, owner: req.owner, reason: req.reason });
    return { ok: true, outcome: r.outcome };
  } catch (error) {
    return { ok: false, error: String(error instanceof Error ? error.message : error).slice(0, 2000) };
  }
}

/**
 * The removal saga's condor step (JobRemovalRequested): condor_rm, then the events that record
 * its outcome (decideRemovalOutcome: ServerStopped whatever HTCondor said, so a stop never waits
 * on the job). A failed removal's retry is armed at once, before those events are stored: it is
 * keyed by attempt, so arming it again on a redelivery is harmless.
 */
export async function removeJob(
  pool: Pool,
  condor: CondorClient,
  settings: RemovalSettings,
  server: { state: ServerState; stream: EventEnvelope[] },
  event: EventEnvelope,
  jobId: string,
): Promise<NewEvent[]> {
  const spawnId = (event.data as { spawnId: string }).spawnId;
  const owner = parseServerStreamId(event.streamId)!.user;
  const result = await removeJobOf(condor, { jobId, owner, reason: 'stopped by condorhub' });
  const { events, retry } = decideRemovalOutcome(server.state, server.stream, { spawnId, jobId }, result, settings);
  if (retry) {
    await scheduleMessage(pool, retry.key, event.streamId, retry.event, new Date(Date.now() + retry.dueInS * 1000));
  }
  return events;
}
