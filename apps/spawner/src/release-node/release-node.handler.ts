import type { Pool } from 'pg';
import {
  type CommandReply,
  type SpawnerCommandData,
  accepted,
  newEvent,
  nodeStreamId,
  rejected,
} from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { foldNode } from '@condorhub/server-lifecycle';

/** An operator puts a quarantined node back into service. */
export class ReleaseNodeHandler {
  constructor(private readonly pool: Pool) {}

  async handle(cmd: SpawnerCommandData<'releaseNode'>): Promise<CommandReply> {
    const stream = nodeStreamId(cmd.host);
    const events = await readStream(this.pool, stream);
    const node = foldNode(events);
    if (!node.quarantined) return rejected('not-quarantined', `${cmd.host} is not quarantined`);
    await appendToStream(this.pool, stream, [newEvent('NodeReleased', { host: cmd.host, by: cmd.by })], {
      expectedVersion: events.length,
      metadata: { actor: cmd.by },
    });
    return accepted({ host: cmd.host });
  }
}
