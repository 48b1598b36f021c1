import { headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { replaySubject } from '@condorhub/contracts';
import { type DeadLetter, listDeadLetters, markDeadLetterReplayed } from '@condorhub/event-store';

/** A replay asked for letters that are not there (or not ids at all): nothing was replayed. */
export class DeadLetterRequestError extends Error {}

/**
 * Sends dead letters back to the consumer that gave them up (`<prefix>.events.replay.<consumer>`),
 * returning those sent. `ids`: those letters, replayed before or not; `'all'`: every letter not
 * replayed yet. The consumers are idempotent, so a replay of something already done changes
 * nothing; a letter that fails again becomes a new dead letter. Used by `condorhub dead-letters
 * replay` and the admin page.
 */
export async function replayDeadLetters(
  pool: Pool,
  nc: NatsConnection,
  prefix: string,
  which: string[] | 'all',
): Promise<DeadLetter[]> {
  if (which !== 'all') {
    const bad = which.filter((id) => !/^[1-9][0-9]{0,17}$/.test(id));
    if (bad.length) throw new DeadLetterRequestError(`not a dead letter id: ${bad.join(', ')}`);
    if (!which.length) throw new DeadLetterRequestError('no dead letter named');
  }
  const letters = await listDeadLetters(pool, which === 'all' ? { pendingOnly: true } : { ids: which });
  if (which !== 'all') {
    const missing = which.filter((id) => !letters.some((d) => d.id === id));
    if (missing.length)
      throw new DeadLetterRequestError(`no dead letter ${missing.map((id) => `#${id}`).join(', ')}; nothing replayed`);
  }
  const js = jetstream(nc, { timeout: 10_000 });
  for (const d of letters) {
    const h = headers();
    if (d.eventType) h.set('Condorhub-Type', d.eventType);
    if (d.streamId) h.set('Condorhub-Stream', d.streamId);
    h.set('Condorhub-Replay-Of', d.id);
    // The message id drops a repeat of this very replay (a retried command), not a later one.
    await js.publish(replaySubject(prefix, d.consumer), d.payload, {
      msgID: `replay:${d.id}:${d.replays + 1}`,
      headers: h,
    });
    await markDeadLetterReplayed(pool, d.id);
  }
  return letters;
}
