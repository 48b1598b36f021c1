import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@condorhub/contracts';
import { UserRow } from '../entities/user.entity';

export async function projectUsers(events: EventEnvelope[], em: EntityManager): Promise<void> {
  const repo = em.getRepository(UserRow);
  for (const e of events) {
    const d = e.data as any;
    if (e.type === 'UserCreated') {
      await repo.save(
        repo.create({ name: d.name, admin: d.admin, createdAt: new Date(e.recordedAt), lastActivity: null }),
      );
    } else if (e.type === 'UserAdminChanged') {
      await repo.update({ name: d.name }, { admin: d.admin });
    } else if (e.type === 'UserDeleted') {
      await repo.delete({ name: d.name });
    } else if (e.type === 'SpawnRequested') {
      // A user who spawns exists, as in JupyterHub where login creates the user.
      await em.query(
        'INSERT INTO users (name, admin, created_at) VALUES ($1, false, $2) ON CONFLICT (name) DO NOTHING',
        [d.user, new Date(e.recordedAt)],
      );
    }
  }
}
