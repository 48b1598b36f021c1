import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@condorhub/contracts';
import { SpawnAttemptRow } from '../entities/spawn-attempt.entity';

/** spawn_attempts: one row per spawn with its outcome, for history and failure statistics. */
export async function projectSpawnAttempts(events: EventEnvelope[], em: EntityManager): Promise<void> {
  const repo = em.getRepository(SpawnAttemptRow);
  for (const e of events) {
    const d = e.data as any;
    const at = new Date(e.recordedAt);
    if (e.type === 'SpawnRequested') {
      // One INSERT … ON CONFLICT: save() would first SELECT the row to choose.
      await repo.upsert(
        repo.create({
          spawnId: d.spawnId,
          userName: d.user,
          serverName: d.serverName,
          jobId: null,
          host: null,
          outcome: 'pending',
          stage: null,
          diagnosis: null,
          userMessage: null,
          requestedAt: at,
          readyAt: null,
          endedAt: null,
          retryOf: d.retryOf ?? null,
        }),
        ['spawnId'],
      );
      continue;
    }
    if (!d?.spawnId) continue;
    switch (e.type) {
      case 'JobSubmitted':
        await repo.update({ spawnId: d.spawnId }, { jobId: d.jobId });
        break;
      case 'JobRunning':
        await repo.update({ spawnId: d.spawnId }, { host: d.host });
        break;
      case 'ServerReady':
        await repo.update({ spawnId: d.spawnId }, { readyAt: at, outcome: 'ready' });
        break;
      case 'SpawnFailed':
        await repo.update(
          { spawnId: d.spawnId },
          { outcome: 'failed', stage: d.stage, diagnosis: d.diagnosis, userMessage: d.userMessage },
        );
        break;
      case 'ServerStopped': {
        const row = await repo.findOne({ where: { spawnId: d.spawnId } });
        if (!row || row.endedAt) break;
        row.endedAt = at;
        if (row.outcome === 'pending') row.outcome = 'cancelled';
        else if (row.outcome === 'ready') row.outcome = 'stopped';
        await repo.save(row);
        break;
      }
    }
  }
}
