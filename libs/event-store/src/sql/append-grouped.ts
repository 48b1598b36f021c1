import type { Pool } from 'pg';
import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/** One append as append_events takes it: the events already parsed and numbered. */
export interface PreparedAppend {
  streamId: string;
  category: string;
  /** append_events' code: >= 0 exact version, -1 any, -2 no stream, -3 stream exists. */
  expected: number;
  events: unknown[];
  /** Already parsed; {} when absent. */
  metadata: object;
  cancelTimers: string[] | null;
}

export interface AppendedRow {
  next_version: string;
  last_position: string;
  tx_id: string;
}

interface GroupedRow extends Partial<AppendedRow> {
  ord: number;
  err_code: string | null;
  err_detail: string | null;
  err_constraint: string | null;
  err_message: string | null;
}

interface Waiting {
  append: PreparedAppend;
  resolve(row: AppendedRow): void;
  reject(error: unknown): void;
}

/**
 * At most this many appends per group: each is a subtransaction, and PostgreSQL caches 64
 * subtransaction ids per backend before every snapshot in the database gets slower.
 */
export const GROUP_MAX = 32;
/** Groups in flight per pool at once; the appends that arrive meanwhile form the next group. */
export const GROUPS_IN_FLIGHT = 2;

const GROUPED_SQL = `SELECT ord, next_version, last_position::text AS last_position, tx_id::text AS tx_id,
  err_code, err_detail, err_constraint, err_message FROM append_events_grouped($1::jsonb)`;
const SINGLE_SQL = `SELECT next_version, last_position::text AS last_position, tx_id::text AS tx_id
  FROM append_events($1, $2, $3, $4::jsonb, $5::jsonb, $6::text[])`;

// Errors raised inside an item's subtransaction that are about the moment, not the append: the
// item is sent again alone (its subtransaction was rolled back, so nothing of it was stored).
// 55P03 is also a lock waited for past the group's lock_timeout (migration 009), and later items
// of that stream, handed back untried.
const RETRY_ALONE = new Set(['40P01', '40001', '55P03']);

const queues = new WeakMap<Pool, { waiting: Waiting[]; inFlight: number; scheduled: boolean }>();

/**
 * Group commit for appends made straight on a pool (not inside a caller's transaction): the
 * appends that arrive while earlier ones are in flight go to PostgreSQL together, one round
 * trip and one WAL flush for all of them. Each keeps its own outcome (its version check, its
 * duplicate-id check); a caller's promise settles only after the commit that holds its events,
 * exactly as a lone append. With no other append waiting it is sent alone, as before.
 */
export function appendGrouped(pool: Pool, append: PreparedAppend): Promise<AppendedRow> {
  let queue = queues.get(pool);
  if (!queue) {
    queue = { waiting: [], inFlight: 0, scheduled: false };
    queues.set(pool, queue);
  }
  const q = queue;
  return new Promise<AppendedRow>((resolve, reject) => {
    q.waiting.push({ append, resolve, reject });
    // Sent on the next turn of the event loop, so appends issued in the same turn (writers
    // resumed by the last group's commit) travel together.
    if (q.inFlight < GROUPS_IN_FLIGHT && !q.scheduled) {
      q.scheduled = true;
      setImmediate(() => {
        q.scheduled = false;
        flush(pool, q);
      });
    }
  });
}

function flush(pool: Pool, q: { waiting: Waiting[]; inFlight: number; scheduled: boolean }): void {
  while (q.waiting.length && q.inFlight < GROUPS_IN_FLIGHT) {
    const group = q.waiting.splice(0, GROUP_MAX);
    q.inFlight++;
    void send(pool, group).finally(() => {
      q.inFlight--;
      flush(pool, q);
    });
  }
}

async function send(pool: Pool, group: Waiting[]): Promise<void> {
  try {
    await sendGroup(pool, group);
  } catch (error) {
    // Whatever went wrong after the round trip (a row that matches no item, say), no caller is
    // left waiting: settling an already settled promise changes nothing.
    for (const w of group) w.reject(error);
  }
}

async function sendGroup(pool: Pool, group: Waiting[]): Promise<void> {
  if (group.length === 1) return sendAlone(pool, group[0]);
  // Stream rows are locked in one order by every group, so two groups never deadlock.
  const ordered = [...group].sort((a, b) =>
    a.append.streamId < b.append.streamId ? -1 : a.append.streamId > b.append.streamId ? 1 : 0,
  );
  const items = ordered.map(({ append: a }) => ({
    s: a.streamId,
    c: a.category,
    e: a.expected,
    ev: a.events,
    m: a.metadata,
    ...(a.cancelTimers?.length ? { t: a.cancelTimers } : {}),
  }));
  let rows: GroupedRow[];
  try {
    ({ rows } = await pool.query<GroupedRow>({
      name: 'ch_append_events_grouped',
      text: GROUPED_SQL,
      values: [JSON.stringify(items)],
    }));
  } catch (error) {
    // The group's transaction failed as a whole (or its outcome is unknown): each caller gets
    // the error, as a lone append's caller would.
    for (const w of group) w.reject(error);
    return;
  }
  const retry: Waiting[] = [];
  if (rows.length !== ordered.length)
    throw new Error(`grouped append: ${rows.length} results for ${ordered.length} appends`);
  for (const row of rows) {
    const w = ordered[row.ord];
    if (!row.err_code) w.resolve(row as AppendedRow);
    else if (RETRY_ALONE.has(row.err_code)) retry.push(w);
    else w.reject(itemError(row));
  }
  for (const w of retry) await sendAlone(pool, w);
}

/** One append in one statement, on whatever `sql` is (a pool, a client, a caller's transaction). */
export async function appendOne(sql: Sql, a: PreparedAppend): Promise<AppendedRow> {
  const values = [
    a.streamId,
    a.category,
    a.expected,
    JSON.stringify(a.events),
    JSON.stringify(a.metadata),
    a.cancelTimers,
  ];
  const { rows } = await preparedQuery<AppendedRow>(sql, 'ch_append_events', SINGLE_SQL, values);
  return rows[0];
}

async function sendAlone(pool: Pool, w: Waiting): Promise<void> {
  try {
    w.resolve(await appendOne(pool, w.append));
  } catch (error) {
    w.reject(error);
  }
}

/** An item's error shaped as pg's own (code, detail, constraint), so callers map it the same way. */
function itemError(row: GroupedRow): Error {
  return Object.assign(new Error(row.err_message ?? `append failed (${row.err_code})`), {
    code: row.err_code,
    detail: row.err_detail ?? undefined,
    constraint: row.err_constraint || undefined,
  });
}
