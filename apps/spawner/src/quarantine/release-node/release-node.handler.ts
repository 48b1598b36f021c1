import type { Pool } from 'pg';
import { type CommandReply, type SpawnerCommandData, accepted, nodeStreamId, rejected } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { type Decision, decideRelease, foldNode } from '@condorhub/server-lifecycle';

/** An operator puts a quarantined node back into service. */
export class ReleaseNodeHandler {
  constructor(private readonly pool: Pool) {}

  async handle(cmd: SpawnerCommandData<'releaseNode'>): Promise<CommandReply> {
    let decision: Decision | undefined;
    const outcome = await decideAndAppend(
      this.pool,
      nodeStreamId(cmd.host),
      (events) => {
        decision = decideRelease(foldNode(events), cmd);
        return decision.ok ? { events: decision.events } : undefined;
      },
      { metadata: { actor: cmd.by } },
    );
    if (decision && !decision.ok) return rejected(decision.code, decision.reason);
    if (outcome === 'conflict') return rejected('busy', `${cmd.host} is changing; try again`);
    return accepted({ host: cmd.host });
  }
}
