import type { DataSource } from 'typeorm';
import { SpawnAttemptRow } from '../entities/spawn-attempt.entity';

/** The newest failed spawn attempts, any user (the operators' view). */
export function listRecentFailedSpawns(ds: DataSource, take: number): Promise<SpawnAttemptRow[]> {
  return ds.getRepository(SpawnAttemptRow).find({ where: { outcome: 'failed' }, order: { requestedAt: 'DESC' }, take });
}

/** One server's newest spawn attempts (its timeline's list of spawns). */
export function listServerSpawns(
  ds: DataSource,
  userName: string,
  serverName: string,
  take: number,
): Promise<SpawnAttemptRow[]> {
  return ds
    .getRepository(SpawnAttemptRow)
    .find({ where: { userName, serverName }, order: { requestedAt: 'DESC' }, take });
}
