import type { PoolClient } from 'pg';
import { accepted, rejected } from '@condorhub/contracts';
import { serversCulled } from '@condorhub/metrics';
import { type CullLimits, decideCull } from '@condorhub/server-lifecycle';
import { type CommandStore, appendDecision } from '../append-decision';

/** The culler's limits and how often it looks; from CONDORHUB_CULL_*. */
export interface CullSettings extends CullLimits {
  everyS: number;
}

export function cullSettings(config: {
  CONDORHUB_CULL_IDLE_S: number;
  CONDORHUB_CULL_MAX_AGE_S: number;
  CONDORHUB_CULL_EVERY_S?: number;
}): CullSettings {
  const limits = [config.CONDORHUB_CULL_IDLE_S, config.CONDORHUB_CULL_MAX_AGE_S].filter((s) => s > 0);
  // A tenth of the shorter limit: a server is stopped at most 10% past its limit.
  const everyS = config.CONDORHUB_CULL_EVERY_S ?? Math.min(60, Math.max(1, Math.min(...limits, 600) / 10));
  return { idleS: config.CONDORHUB_CULL_IDLE_S, maxAgeS: config.CONDORHUB_CULL_MAX_AGE_S, everyS };
}

/** The advisory lock one culler pass holds: one per schema (one hub's event store). */
export const cullerLockKey = (schema: string | undefined) => `condorhub:culler:${schema ?? 'public'}`;

export interface CullOutcome {
  user: string;
  serverName: string;
  culled: boolean;
  code?: string;
}

/**
 * One pass of the culler: the ready servers of the read model are only candidates; each is
 * decided on its own stream, with its last activity read in the same transaction (a server
 * used since the list was read, or stopped meanwhile, is left alone). One culler passes at a
 * time across spawner replicas: the pass holds a transaction-scoped advisory lock, so a
 * replica that dies mid-pass frees it with its connection.
 */
export class CullIdleServers {
  constructor(
    private readonly store: CommandStore,
    private readonly limits: CullLimits,
    private readonly lockKey: string,
  ) {}

  async pass(now: () => Date = () => new Date()): Promise<CullOutcome[] | 'not-leader'> {
    if (!(this.limits.idleS > 0 || this.limits.maxAgeS > 0)) return [];
    const lock = await this.store.pool.connect();
    try {
      await lock.query('BEGIN');
      const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [
        this.lockKey,
      ]);
      if (!rows[0].ok) return 'not-leader';
      const candidates = await lock.query<{ user_name: string; server_name: string }>(
        "SELECT user_name, server_name FROM servers WHERE phase = 'ready' ORDER BY ready_at",
      );
      // The hub owns the activity table; without it (no hub migrated yet) idleness is unknown,
      // so only the maximum age applies.
      const { rows: table } = await lock.query<{ t: string | null }>("SELECT to_regclass('server_activity') AS t");
      const limits = table[0].t ? this.limits : { ...this.limits, idleS: 0 };
      const out: CullOutcome[] = [];
      for (const { user_name: user, server_name: serverName } of candidates.rows) {
        // One server that cannot be decided now (a stream busy beyond the retries) waits for
        // the next pass; the others are still decided in this one.
        let reason: string | undefined;
        const reply = await appendDecision(
          this.store,
          user,
          serverName,
          (state, lastActivity: Date | null) => {
            const decision = decideCull(state, now(), limits, lastActivity);
            // The last decision is the one appended (a retry decides again).
            const culled = decision.ok ? decision.events.find((e) => e.type === 'ServerCulled') : undefined;
            reason = culled?.type === 'ServerCulled' ? culled.data.reason : undefined;
            return { decision, metadata: { correlationId: state.spawnId, actor: 'culler' }, reply: () => accepted() };
          },
          (tx) => lastActivityOf(tx, user, serverName, Boolean(table[0].t)),
        ).catch((error) => rejected('error', String(error)));
        if (reply.accepted && reason) serversCulled.inc({ reason });
        out.push({ user, serverName, culled: reply.accepted, ...(!reply.accepted ? { code: reply.code } : {}) });
      }
      return out;
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      lock.release();
    }
  }
}

async function lastActivityOf(tx: PoolClient, user: string, serverName: string, hasTable: boolean) {
  if (!hasTable) return null;
  const { rows } = await tx.query<{ last_activity: Date }>(
    'SELECT last_activity FROM server_activity WHERE user_name = $1 AND server_name = $2',
    [user, serverName],
  );
  return rows[0]?.last_activity ?? null;
}
