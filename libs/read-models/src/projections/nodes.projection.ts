import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@condorhub/contracts';
import { NodeRow } from '../entities/node.entity';

/** nodes: which worker nodes took spawns, their strikes, and quarantine. */
export async function projectNodes(events: EventEnvelope[], em: EntityManager): Promise<void> {
  const repo = em.getRepository(NodeRow);
  const load = async (host: string) =>
    (await repo.findOne({ where: { host } })) ??
    repo.create({
      host,
      state: 'ok',
      strikes: [],
      quarantinedAt: null,
      quarantineReason: null,
      releasedAt: null,
      releasedBy: null,
      spawnsStarted: 0,
      lastSeenAt: null,
    });
  for (const e of events) {
    const d = e.data as any;
    const at = new Date(e.recordedAt);
    switch (e.type) {
      case 'JobRunning': {
        const node = await load(d.host);
        node.spawnsStarted += 1;
        node.lastSeenAt = at;
        await repo.save(node);
        break;
      }
      case 'NodeStrikeRecorded': {
        const node = await load(d.host);
        node.strikes = [...node.strikes, { spawnId: d.spawnId, reason: d.reason, at: e.recordedAt }].slice(-20);
        await repo.save(node);
        break;
      }
      case 'NodeQuarantined': {
        const node = await load(d.host);
        Object.assign(node, { state: 'quarantined', quarantinedAt: at, quarantineReason: d.reason });
        await repo.save(node);
        break;
      }
      case 'NodeReleased': {
        const node = await load(d.host);
        Object.assign(node, { state: 'ok', strikes: [], releasedAt: at, releasedBy: d.by });
        await repo.save(node);
        break;
      }
    }
  }
}
