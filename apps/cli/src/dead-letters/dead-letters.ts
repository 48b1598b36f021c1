import { headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { replaySubject } from '@condorhub/contracts';
import { type DeadLetter, listDeadLetters, markDeadLetterReplayed } from '@condorhub/event-store';

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

/**
 * Sends dead letters back to the consumer that gave them up (`<prefix>.events.replay.<consumer>`).
 * `ids`: those letters, replayed before or not; `'all'`: every letter not replayed yet. The
 * consumers are idempotent, so a replay of something already done changes nothing; a letter
 * that fails again becomes a new dead letter.
 */
export async function replayDeadLetters(
  pool: Pool,
  nc: NatsConnection,
  prefix: string,
  which: string[] | 'all',
): Promise<string> {
  if (which !== 'all') {
    const bad = which.filter((id) => !/^[1-9][0-9]{0,17}$/.test(id));
    if (bad.length) throw new Error(`not a dead letter id: ${bad.join(', ')} (see \`condorhub dead-letters\`)`);
  }
  const letters = await listDeadLetters(pool, which === 'all' ? { pendingOnly: true } : { ids: which });
  if (which !== 'all') {
    const missing = which.filter((id) => !letters.some((d) => d.id === id));
    if (missing.length) throw new Error(`no dead letter ${missing.map((id) => `#${id}`).join(', ')}; nothing replayed`);
  }
  if (!letters.length) return 'no dead letters to replay\n';
  const js = jetstream(nc, { timeout: 10_000 });
  let out = '';
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
    out += `#${d.id} replayed to ${d.consumer}\n`;
  }
  return out;
}
