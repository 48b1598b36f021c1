import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { type AdminAction, adminStreamId, newEvent } from '@condorhub/contracts';
import { appendToStream, readLatestInCategory } from '@condorhub/event-store';
import { PG_POOL } from '@condorhub/runtime';

export interface AdminActionEntry {
  at: Date;
  admin: string;
  action: AdminAction;
  target: string;
  detail?: string;
}

/** How an admin appears in the domain events an admin-page action causes (`by`). */
export const adminActor = (admin: string) => `admin:${admin}`;

/** The admin page's audit trail: AdminActionRecorded on `admin-<name>`, one per action that changed something. */
@Injectable()
export class AdminAudit {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async record(admin: string, action: AdminAction, target: string, detail?: string): Promise<void> {
    await appendToStream(
      this.pool,
      adminStreamId(admin),
      [
        newEvent('AdminActionRecorded', {
          admin,
          action,
          target: target.slice(0, 2000),
          detail: detail?.slice(0, 2000),
        }),
      ],
      { metadata: { actor: adminActor(admin) } },
    );
  }

  async recent(limit = 20): Promise<AdminActionEntry[]> {
    const events = await readLatestInCategory(this.pool, 'admin', limit);
    return events
      .filter((e) => e.type === 'AdminActionRecorded')
      .map((e) => {
        const d = e.data as { admin: string; action: AdminAction; target: string; detail?: string };
        return { at: new Date(e.recordedAt), admin: d.admin, action: d.action, target: d.target, detail: d.detail };
      });
  }
}
