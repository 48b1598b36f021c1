import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { countSpawnAttempts, countSpawnFailures, listNodeRows } from '@condorhub/read-models';
import { READ_MODELS } from '@condorhub/runtime';
import { AuthService } from '../../auth/auth.service';
import { badRequest } from '../../http/hub-error';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Operator views: worker nodes and failure counts (admin). */
@Injectable()
export class OperationsHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(READ_MODELS) private readonly ds: DataSource,
  ) {}

  async nodes(req: IncomingMessage) {
    await this.auth.require(req, ['admin:servers']);
    const rows = await listNodeRows(this.ds);
    return rows.map((n) => ({
      host: n.host,
      state: n.state,
      strikes: n.strikes,
      quarantinedAt: iso(n.quarantinedAt),
      quarantineReason: n.quarantineReason,
      releasedAt: iso(n.releasedAt),
      releasedBy: n.releasedBy,
      spawnsStarted: n.spawnsStarted,
      lastSeenAt: iso(n.lastSeenAt),
    }));
  }

  /** Failed spawns by diagnosis since a time (default: the last 24 hours). */
  async failures(req: IncomingMessage, since: unknown) {
    await this.auth.require(req, ['admin:servers']);
    let from = new Date(Date.now() - 86_400_000);
    if (since !== undefined) {
      const ms = typeof since === 'string' ? Date.parse(since) : NaN;
      if (!Number.isFinite(ms)) throw badRequest('since must be an ISO 8601 time');
      from = new Date(ms);
    }
    const rows = await countSpawnFailures(this.ds, from);
    const byDiagnosis: Record<string, number> = {};
    for (const r of rows)
      byDiagnosis[r.diagnosis ?? 'unknown'] = (byDiagnosis[r.diagnosis ?? 'unknown'] ?? 0) + r.count;
    return {
      since: from.toISOString(),
      spawns: await countSpawnAttempts(this.ds, from),
      failed: rows.reduce((n, r) => n + r.count, 0),
      byDiagnosis,
      byStage: rows.map((r) => ({ diagnosis: r.diagnosis ?? 'unknown', stage: r.stage, count: r.count })),
    };
  }
}
