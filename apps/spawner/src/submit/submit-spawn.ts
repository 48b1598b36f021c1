import type { Pool } from 'pg';
import { type CondorClient, CondorSubmitRejectedError, type SubmitJobRequest } from '@condorhub/condor';
import { type NewEvent, newEvent } from '@condorhub/contracts';
import { revokeSpawnTokens } from '@condorhub/tokens';
import { type ServerState, userMessage } from '@condorhub/server-lifecycle';
import type { SpawnerSettings } from '../spawner.settings';
import { jobEnvironment } from './job-environment';
import { issueLauncherBootstrap } from './launcher-bootstrap';

/**
 * condor_submit for the current spawn; returns the event that records the outcome.
 * A submit interrupted by a crash is found again by CondorhubSpawnId instead of doubled.
 * A submit that times out or cannot reach the schedd is looked up the same way, then tried
 * again, up to `settings.submitAttempts` in all: a schedd that is slow under a burst of submits
 * (a lecture pressing Start together) should not fail the spawn at once.
 */
export async function submitSpawn(
  pool: Pool,
  condor: CondorClient,
  settings: SpawnerSettings,
  state: ServerState,
): Promise<NewEvent> {
  const spawnId = state.spawnId!;
  const user = state.user!;
  const serverName = state.serverName ?? '';
  const { rowCount: fresh } = await pool.query(
    'INSERT INTO spawner_submissions (spawn_id) VALUES ($1) ON CONFLICT DO NOTHING',
    [spawnId],
  );
  if (!fresh) {
    const existing = await findSubmitted(condor, spawnId);
    if (existing) return existing;
    await revokeSpawnTokens(pool, spawnId);
  }
  const quarantined = (
    await pool.query<{ host: string }>(`SELECT host FROM nodes WHERE state = 'quarantined'`)
  ).rows.map((r) => r.host);
  // Not the API token: the job ad is public to the pool. The launcher trades this for it.
  const bootstrap = await issueLauncherBootstrap(pool, {
    spawnId,
    user,
    serverName,
    lifetimeS: bootstrapLifetimeS(settings),
  });
  const opts = state.options ?? {};
  const request: SubmitJobRequest = {
    owner: user,
    executable: settings.launcher,
    arguments: ['--', ...settings.notebookCommand],
    environment: jobEnvironment({
      user,
      serverName,
      bootstrap,
      publicUrl: settings.publicUrl,
      hubUrl: settings.jobHubUrl,
      cpus: opts.cpus,
      memoryMb: opts.memoryMb,
    }),
    requestCpus: opts.cpus ?? 1,
    requestMemoryMb: opts.memoryMb ?? 1024,
    excludeMachines: [...new Set([...quarantined, ...(state.avoidHosts ?? [])])],
    output: `/tmp/condorhub-${spawnId}.out`,
    error: `/tmp/condorhub-${spawnId}.err`,
    batchName: `condorhub-${user}${serverName ? `-${serverName}` : ''}`,
    spawnId,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await condor.submit(request);
      await pool.query('UPDATE spawner_submissions SET job_id = $2 WHERE spawn_id = $1', [spawnId, result.jobId]);
      return newEvent('JobSubmitted', {
        spawnId,
        jobId: result.jobId,
        submitHost: condor.config.scheddName ?? 'local',
      });
    } catch (error) {
      if (error instanceof CondorSubmitRejectedError || attempt >= settings.submitAttempts) {
        await revokeSpawnTokens(pool, spawnId);
        return submitFailed(spawnId, error);
      }
      // The schedd may have queued it before the answer was lost.
      const existing = await findSubmitted(condor, spawnId);
      if (existing) return existing;
    }
  }
}

/**
 * The bootstrap is only of use until the launcher starts, which is within the queue wait and
 * the port wait (the spawn fails after those anyway), plus a minute for clocks and retries.
 */
export function bootstrapLifetimeS(settings: SpawnerSettings): number {
  return settings.lifecycle.idleTimeoutS + settings.lifecycle.portTimeoutS + 60;
}

async function findSubmitted(condor: CondorClient, spawnId: string): Promise<NewEvent | undefined> {
  const snapshot = await condor.query();
  if (snapshot.status !== 'ok') return undefined;
  const existing = snapshot.jobs.find((j) => j.spawnId === spawnId);
  return existing && newEvent('JobSubmitted', { spawnId, jobId: existing.jobId, submitHost: 'recovered' });
}

function submitFailed(spawnId: string, error: unknown): NewEvent {
  if (error instanceof CondorSubmitRejectedError) {
    return newEvent('SpawnFailed', {
      spawnId,
      stage: 'submit',
      diagnosis: 'submit-rejected',
      userMessage: userMessage('submit-rejected', error.message.split('\n')[0].slice(0, 300)),
      detail: error.message.slice(0, 4000),
    });
  }
  return newEvent('SpawnFailed', {
    spawnId,
    stage: 'submit',
    diagnosis: 'condor-unreachable',
    userMessage: userMessage('condor-unreachable'),
    detail: String(error instanceof Error ? error.message : error).slice(0, 4000),
  });
}
