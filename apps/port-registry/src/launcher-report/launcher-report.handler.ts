import type { Pool } from 'pg';
import { ContractError, parseEventData, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { decideLauncherReport, foldServer } from '@condorhub/server-lifecycle';
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
    const report = data;
    const result = await decideAndAppend(
      this.pool,
      stream,
      (events) => {
        const decided = decideLauncherReport(foldServer(events), report);
        return decided && { events: decided };
      },
      { metadata: { correlationId: record.spawnId!, actor: 'launcher' } },
    );
    if (result === 'declined') throw new RegistryError(409, 'stale token: that spawn is over');
    // Retryable: the launcher asks again on a 5xx.
    if (result === 'conflict') throw new RegistryError(503, 'the server kept changing; retry');
    return { message: 'report recorded' };
  }
}
