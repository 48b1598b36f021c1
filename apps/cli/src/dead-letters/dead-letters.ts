import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { type DeadLetter, listDeadLetters } from '@condorhub/event-store';
import { DeadLetterRequestError, replayDeadLetters as replay } from '@condorhub/messaging';

/** One line per dead letter: id, when, which consumer gave it up, what it was, why, and whether it was replayed. */
export async function describeDeadLetters(pool: Pool): Promise<string> {
  const letters = await listDeadLetters(pool);
  if (!letters.length) return 'no dead letters\n';
  return letters.map(describe).join('');
}

function describe(d: DeadLetter): string {
  const what = d.eventType ? `${d.eventType} on ${d.streamId} (event ${d.eventId})` : `message on ${d.subject}`;
  const replayed = d.replayedAt ? `  replayed ${d.replays}× (last ${d.replayedAt.toISOString()})` : '';
  return `#${d.id}  ${d.deadLetteredAt.toISOString()}  ${d.consumer}  ${what}${replayed}\n    why: ${d.reason.replace(/\s+/g, ' ').slice(0, 500)}\n`;
}

/** `condorhub dead-letters replay ID...|--all`: see replayDeadLetters in libs/messaging. */
export async function replayDeadLetters(
  pool: Pool,
  nc: NatsConnection,
  prefix: string,
  which: string[] | 'all',
): Promise<string> {
  try {
    const letters = await replay(pool, nc, prefix, which);
    if (!letters.length) return 'no dead letters to replay\n';
    return letters.map((d) => `#${d.id} replayed to ${d.consumer}\n`).join('');
  } catch (error) {
    if (error instanceof DeadLetterRequestError && /^not a dead letter id/.test(error.message))
      throw new Error(`${error.message} (see \`condorhub dead-letters\`)`);
    throw error;
  }
}
