import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import type { EventEnvelope, EventType } from '@condorhub/contracts';
import { JOB_ATTRIBUTES, parseCondorQJson } from '@condorhub/condor';
import { connectNats } from '@condorhub/messaging';
import { Pool } from 'pg';
import type { DeadLetter, QueuedJob } from './invariants';

const run = promisify(execFile);

/** Every event of every server stream, in log order, read straight from the store. */
export async function readServerEvents(databaseUrl: string): Promise<EventEnvelope[]> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query(
      `SELECT global_position::text AS global_position, stream_id, stream_version, event_id, type, schema_version,
              data, metadata, recorded_at, transaction_id::text AS transaction_id
         FROM events WHERE stream_id LIKE 'server-%' ORDER BY events.global_position`,
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      type: r.type as EventType,
      schemaVersion: r.schema_version,
      streamId: r.stream_id,
      streamVersion: Number(r.stream_version),
      globalPosition: r.global_position,
      transactionId: r.transaction_id,
      recordedAt: (r.recorded_at as Date).toISOString(),
      data: r.data,
      metadata: r.metadata ?? {},
    })) as EventEnvelope[];
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Every job in the simulated pool's queue, as condor_q reports it. */
export async function readQueue(condorBin: string, env: Record<string, string>): Promise<QueuedJob[]> {
  const { stdout } = await run(
    path.join(condorBin, 'condor_q'),
    ['-allusers', '-json', '-attributes', JOB_ATTRIBUTES.join(',')],
    { env: { ...process.env, ...env }, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return parseCondorQJson(stdout.trim()).map((j) => ({
    jobId: j.jobId,
    status: j.status,
    owner: j.owner,
    spawnId: j.spawnId,
  }));
}

/** Every message on `<prefix>.dead-letter.>` in the event stream, oldest first. */
export async function readDeadLetters(natsUrl: string, streamName: string, prefix: string): Promise<DeadLetter[]> {
  const nc = await connectNats({ url: natsUrl, name: 'chaos-dead-letters' });
  try {
    const js = jetstream(nc, { timeout: 10_000 });
    const subjects = `${prefix}.dead-letter.>`;
    const consumer = await js.consumers.get(streamName, { filter_subjects: subjects });
    const out: DeadLetter[] = [];
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2_000 });
      let n = 0;
      for await (const m of batch) {
        n++;
        out.push({ consumer: m.subject.slice(`${prefix}.dead-letter.`.length), body: m.string() });
      }
      if (n === 0) break;
    }
    return out;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
