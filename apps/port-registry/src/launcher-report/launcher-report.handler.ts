import type { Pool } from 'pg';
import { ContractError, newEvent, parseEventData, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { foldServer } from '@condorhub/server-lifecycle';
import { RegistryError, requireServerToken } from '../auth/server-token';

/** The launcher's preflight failures and early exits, recorded as LauncherReported. */
export class LauncherReportHandler {
  constructor(private readonly pool: Pool) {}

  async handle(token: string | undefined, body: unknown): Promise<{ message: string }> {
    const record = await requireServerToken(this.pool, token);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new RegistryError(400, 'body must be a JSON object');
    let data;
    try {
      data = parseEventData('LauncherReported', { ...(body as object), spawnId: record.spawnId });
    } catch (error) {
      if (error instanceof ContractError) throw new RegistryError(400, error.message);
      throw error;
    }
    const stream = serverStreamId(record.owner, record.serverName ?? '');
    const state = foldServer(await readStream(this.pool, stream));
    if (state.spawnId !== record.spawnId || state.phase === 'stopped') {
      throw new RegistryError(409, 'stale token: that spawn is over');
    }
    await appendToStream(this.pool, stream, [newEvent('LauncherReported', data)], {
      metadata: { correlationId: record.spawnId!, actor: 'launcher' },
    });
    return { message: 'report recorded' };
  }
}
