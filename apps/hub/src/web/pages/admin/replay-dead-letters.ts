import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { DeadLetterRequestError, replayDeadLetters } from '@condorhub/messaging';
import { badRequest } from '../../../http/hub-error';
import type { AdminAudit } from './admin-audit';

/**
 * POST /hub/admin/dead-letters/replay: `id` (one letter) or `all` (every one not replayed yet),
 * through the same code as `condorhub dead-letters replay`. Returns how many were sent.
 */
export async function replayFromAdminPage(
  pool: Pool,
  nc: NatsConnection,
  prefix: string,
  audit: AdminAudit,
  admin: string,
  form: Record<string, unknown>,
): Promise<number> {
  const { id, all } = form;
  if ((id === undefined) === (all === undefined)) throw badRequest('Replay which dead letter? (name one, or all)');
  if (id !== undefined && typeof id !== 'string') throw badRequest('Not a dead letter id.');
  let letters;
  try {
    letters = await replayDeadLetters(pool, nc, prefix, id === undefined ? 'all' : [id]);
  } catch (error) {
    if (error instanceof DeadLetterRequestError) throw badRequest(`${error.message}.`);
    throw error;
  }
  if (letters.length) {
    await audit.record(
      admin,
      'dead-letters-replayed',
      letters.map((d) => `#${d.id}`).join(', '),
      [...new Set(letters.map((d) => d.consumer))].join(', '),
    );
  }
  return letters.length;
}
