import type { CondorClient } from '@condorhub/condor';

export type RemovalResult = { ok: true; outcome: string } | { ok: false; error: string };

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
