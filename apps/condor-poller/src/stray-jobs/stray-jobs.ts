import type { Pool } from 'pg';
import type { CondorClient, CondorJobState } from '@condorhub/condor';
import { SpawnId, newEvent, removalStreamId } from '@condorhub/contracts';
import { appendToStream, listCorrelatedStreams, readStream } from '@condorhub/event-store';
import { foldServer, isActive } from '@condorhub/server-lifecycle';

/** Every server stream's id starts so (`server-<user>/<name>`). */
const SERVER_STREAMS = 'server-';

/**
 * Jobs of this hub (its CondorhubInstance) that no live server names: a submit retried after
 * the schedd queued the first attempt too late to be found, or a stop whose condor_rm never got
 * through. Such a job would hold a slot (and maybe a notebook) nobody can reach or stop. Each
 * is removed once it has gone unnamed for the grace period (far longer than a JobSubmitted
 * takes to arrive) and the event store, not only the read model, confirms that its spawn is
 * over or names another job; the removal is recorded on the spawn's removal stream. Jobs
 * without a CondorhubSpawnId, or tagged with another hub's CondorhubInstance (a second hub on
 * the same schedd, or the tag all hubs shared before CONDORHUB_INSTANCE), are never touched:
 * this hub's store cannot know whether they are in use.
 */
export class StrayJobs {
  /** Unnamed jobs, by when this process first saw them so. */
  private readonly unnamedSince = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    private readonly condor: CondorClient,
    private readonly opts: { graceMs: number; log?: (line: string) => void },
  ) {}

  /** `jobs`: one condor_q answer; `named`: the jobs live servers name. Returns removals started. */
  async sweep(jobs: readonly CondorJobState[], named: ReadonlySet<string>, now = Date.now()): Promise<number> {
    const unnamed = new Set<string>();
    let removed = 0;
    for (const job of jobs) {
      if (named.has(job.jobId) || !job.owner || !SpawnId.safeParse(job.spawnId).success) continue;
      if (job.instance !== this.condor.config.instance) continue;
      if (job.status === 'removing' || job.status === 'completed') continue;
      unnamed.add(job.jobId);
      const since = this.unnamedSince.get(job.jobId) ?? now;
      this.unnamedSince.set(job.jobId, since);
      if (now - since < this.opts.graceMs) continue;
      try {
        // The read model can lag or be rebuilt; the spawn's own stream decides.
        if (await this.namedInStore(job)) continue;
        const { outcome } = await this.condor.remove({
          jobId: job.jobId,
          owner: job.owner,
          reason: 'condorhub: no server uses this job',
        });
        await appendToStream(
          this.pool,
          removalStreamId(job.spawnId!),
          [
            newEvent('StrayJobRemoved', {
              spawnId: job.spawnId!,
              jobId: job.jobId,
              owner: job.owner,
              outcome,
              unnamedForS: Math.round((now - since) / 1000),
            }),
          ],
          { metadata: { correlationId: job.spawnId, actor: 'condor-poller' } },
        );
        this.opts.log?.(`removed stray job ${job.jobId} of ${job.owner} (spawn ${job.spawnId})`);
        removed++;
      } catch (error) {
        // Next cycle tries again (a job marked for removal is skipped from then on).
        this.opts.log?.(`stray job ${job.jobId}: ${String(error)}`);
      }
    }
    for (const id of this.unnamedSince.keys()) if (!unnamed.has(id)) this.unnamedSince.delete(id);
    return removed;
  }

  /** Whether the server stream of the job's spawn still runs that spawn with this job (or none yet). */
  private async namedInStore(job: CondorJobState): Promise<boolean> {
    if (!job.spawnId) return false;
    for (const streamId of await listCorrelatedStreams(this.pool, job.spawnId, SERVER_STREAMS)) {
      const state = foldServer(await readStream(this.pool, streamId));
      if (state.spawnId === job.spawnId && isActive(state) && (!state.jobId || state.jobId === job.jobId)) return true;
    }
    return false;
  }
}
