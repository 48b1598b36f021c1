import type { Sql } from '../db';

export interface NewDeadLetter {
  consumer: string;
  subject: string;
  /** The message's sequence in the JetStream stream: a repeat of the same dead letter is stored once. */
  streamSequence: number;
  eventId?: string;
  eventType?: string;
  streamId?: string;
  reason: string;
  payload: string;
}

export interface DeadLetter extends NewDeadLetter {
  id: string;
  deadLetteredAt: Date;
  replayedAt: Date | null;
  replays: number;
}

/** Records a message a consumer gave up on; a second record of the same delivery is ignored. */
export async function recordDeadLetter(sql: Sql, d: NewDeadLetter): Promise<void> {
  await sql.query(
    `INSERT INTO dead_letters (consumer, subject, stream_sequence, event_id, event_type, stream_id, reason, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (consumer, stream_sequence) DO NOTHING`,
    [
      d.consumer,
      d.subject,
      d.streamSequence,
      d.eventId ?? null,
      d.eventType ?? null,
      d.streamId ?? null,
      d.reason,
      d.payload,
    ],
  );
}

/** Dead letters, oldest first: all, or only those not replayed yet. */
export async function listDeadLetters(
  sql: Sql,
  opts: { pendingOnly?: boolean; ids?: string[] } = {},
): Promise<DeadLetter[]> {
  const { rows } = await sql.query(
    `SELECT id::text, consumer, subject, stream_sequence, event_id, event_type, stream_id, reason, payload,
            dead_lettered_at, replayed_at, replays
       FROM dead_letters
      WHERE ($1::boolean IS NOT TRUE OR replayed_at IS NULL) AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))
      ORDER BY id`,
    [opts.pendingOnly ?? false, opts.ids ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    consumer: r.consumer,
    subject: r.subject,
    streamSequence: Number(r.stream_sequence),
    eventId: r.event_id ?? undefined,
    eventType: r.event_type ?? undefined,
    streamId: r.stream_id ?? undefined,
    reason: r.reason,
    payload: r.payload,
    deadLetteredAt: r.dead_lettered_at,
    replayedAt: r.replayed_at,
    replays: r.replays,
  }));
}

/** Notes that a dead letter was sent back to its consumer. */
export async function markDeadLetterReplayed(sql: Sql, id: string): Promise<void> {
  await sql.query('UPDATE dead_letters SET replayed_at = now(), replays = replays + 1 WHERE id = $1', [id]);
}
