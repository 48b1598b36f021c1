import { type CommandReply, type SpawnerCommandData, accepted, rejected } from '@condorhub/contracts';
import { type CondorClient, CondorError, type JobId, explainQueue } from '@condorhub/condor';

/**
 * Why a job is still idle: asks condor_q and condor_status (read-only, no event) and explains.
 * The hub finds the job id in the server's state; this only needs the tools.
 */
export class QueueInfoHandler {
  constructor(private readonly condor: CondorClient) {}

  async handle(cmd: SpawnerCommandData<'queueInfo'>): Promise<CommandReply> {
    try {
      const info = await this.condor.queueInfo(cmd.jobId as JobId);
      return accepted({ ...explainQueue(cmd.jobId, info), queriedAt: info.queriedAt.toISOString() });
    } catch (e) {
      if (e instanceof CondorError) return rejected('condor-unavailable', `HTCondor did not answer: ${e.message}`);
      throw e;
    }
  }
}
