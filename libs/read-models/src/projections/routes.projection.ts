import type { EntityManager } from 'typeorm';
import { type EventEnvelope, parseServerStreamId } from '@condorhub/contracts';
import { RouteRow } from '../entities/route.entity';

/**
 * routes: the proxy's desired state. A route belongs to one spawn; a newer RouteRequested
 * wins over an older one for the same prefix, and takes its target away from any other route.
 */
export async function projectRoutes(events: EventEnvelope[], em: EntityManager): Promise<void> {
  const repo = em.getRepository(RouteRow);
  for (const e of events) {
    const d = e.data as any;
    switch (e.type) {
      case 'RouteRequested': {
        // Only the server's current spawn may hold its route (servers is projected first, in
        // this transaction): a late request of an older spawn is history.
        const owner = parseServerStreamId(e.streamId);
        const server = owner
          ? await em.query('SELECT spawn_id FROM servers WHERE user_name = $1 AND server_name = $2', [
              owner.user,
              owner.serverName,
            ])
          : [];
        if (server[0]?.spawn_id && server[0].spawn_id !== d.spawnId) break;
        const current = await repo.findOne({ where: { routeSpec: d.routeSpec } });
        if (current && BigInt(current.requestedPosition) > BigInt(e.globalPosition)) break;
        await em.query('DELETE FROM routes WHERE target = $1 AND route_spec <> $2', [d.target, d.routeSpec]);
        await repo.save(
          repo.create({
            routeSpec: d.routeSpec,
            spawnId: d.spawnId,
            target: d.target,
            owner: d.owner,
            serverName: parseServerStreamId(e.streamId)?.serverName ?? '',
            state: 'requested',
            requestedPosition: e.globalPosition,
            requestedAt: new Date(e.recordedAt),
          }),
        );
        break;
      }
      case 'RouteAdded':
        await repo.update({ routeSpec: d.routeSpec, spawnId: d.spawnId }, { state: 'added' });
        break;
      case 'RouteRemovalRequested':
      case 'RouteRemoved':
        await repo.delete({ routeSpec: d.routeSpec, spawnId: d.spawnId });
        break;
      case 'ServerStopped':
        await repo.delete({ spawnId: d.spawnId });
        break;
    }
  }
}
