import type { EntityManager } from 'typeorm';
import { type EventEnvelope, parseServerStreamId } from '@condorhub/contracts';
import { ServerRow } from '../entities/server.entity';
import { evolve, initialServerState } from '@condorhub/server-lifecycle';

const toDate = (iso?: string) => (iso ? new Date(iso) : null);

/** servers: each server stream folded with the same evolve the spawner decides with. */
export async function projectServers(events: EventEnvelope[], em: EntityManager): Promise<void> {
  const byStream = new Map<string, EventEnvelope[]>();
  for (const e of events) {
    if (!e.streamId.startsWith('server-')) continue;
    byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
  }
  const repo = em.getRepository(ServerRow);
  for (const [streamId, streamEvents] of byStream) {
    const key = parseServerStreamId(streamId);
    if (!key) continue;
    const row = await repo.findOne({ where: { userName: key.user, serverName: key.serverName } });
    let state = row?.state ?? initialServerState();
    for (const e of streamEvents) if (e.streamVersion > state.streamVersion) state = evolve(state, e);
    // One INSERT … ON CONFLICT: save() would first SELECT the row again to choose.
    await repo.upsert(
      repo.create({
        userName: key.user,
        serverName: key.serverName,
        streamId,
        streamVersion: String(state.streamVersion),
        spawnId: state.spawnId ?? null,
        phase: state.phase,
        jobId: state.jobId ?? null,
        host: state.host ?? null,
        slot: state.slot ?? null,
        port: state.port ?? null,
        target: state.target ?? null,
        url: state.url ?? null,
        requestedAt: toDate(state.requestedAt),
        readyAt: toDate(state.readyAt),
        stoppedAt: toDate(state.stoppedAt),
        state,
      }),
      ['userName', 'serverName'],
    );
  }
}
