// bench:store's spawn storm, in a process of its own (started by store.bench.ts through fork):
// `rate` events/s on the store until told to stop, then a one-line summary back to the parent.
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import {
  type DatabaseOptions,
  EventProcessor,
  appendToStream,
  createPool,
  noAppendApplicationName,
  readStream,
  scheduleMessage,
  withTransaction,
} from '@condorhub/event-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jobIdle = () => newEvent('JobIdle', { spawnId: randomUUID(), jobId: '1.0' });

/**
 * Each event is a spawner-like decision over 200 server streams (a transaction that reads the
 * stream, appends one event at its version, disarms the previous timer and arms the next),
 * followed live by a projector-like reader (a transaction per batch upserting one read-model
 * row per event, as a no-append session) and a relay-like reader (after-commit mode, nothing
 * published). Its own pools, so the measured writers' backends stay apart.
 */
function startStorm(db: DatabaseOptions, rate: number): { stop(): Promise<string> } {
  const writers = createPool({ ...db, max: 8, applicationName: 'bench-storm' });
  const readerDb = { ...db, max: 4, applicationName: noAppendApplicationName('bench-storm-reader') };
  const readers = createPool(readerDb);
  const streams = 200;
  const versions = new Array<number>(streams).fill(0);
  const busy = new Array<boolean>(streams).fill(false);
  let appended = 0;
  let failures = 0;
  let projected = 0;
  const errors: unknown[] = [];
  const decide = async (s: number) => {
    busy[s] = true;
    const stream = serverStreamId('chstorm', `r${rate}-s${s}`);
    try {
      await withTransaction(writers, async (tx) => {
        const events = await readStream(tx, stream);
        const v = versions[s];
        await appendToStream(tx, stream, [jobIdle()], {
          expectedVersion: events.length === 0 ? 'no_stream' : events.length,
          metadata: { actor: 'storm', correlationId: `storm-${s}` },
          cancelTimers: v ? [`storm:${rate}:${s}:${v}`] : [],
        });
        await scheduleMessage(tx, `storm:${rate}:${s}:${v + 1}`, stream, jobIdle(), new Date(Date.now() + 3_600_000));
      });
      versions[s]++;
      appended++;
    } catch (e) {
      failures++;
      errors.push(e);
    } finally {
      busy[s] = false;
    }
  };
  const processors = [
    new EventProcessor({
      name: `storm-projector-${rate}`,
      pool: readers,
      db: readerDb,
      mode: 'transaction',
      handle: async (events, tx) => {
        for (const e of events) {
          await tx!.query(
            `INSERT INTO storm_servers (stream_id, version, last_type) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_type = excluded.last_type`,
            [e.streamId, e.streamVersion, e.type],
          );
        }
        projected += events.length;
      },
      onError: (e) => errors.push(e),
    }),
    new EventProcessor({
      name: `storm-relay-${rate}`,
      pool: readers,
      db: readerDb,
      mode: 'after',
      checkpointEveryMs: 100,
      handle: async () => undefined,
      onError: (e) => errors.push(e),
    }),
  ];
  let running = true;
  const loop = (async () => {
    await writers.query(
      'CREATE TABLE IF NOT EXISTS storm_servers (stream_id text PRIMARY KEY, version bigint, last_type text)',
    );
    for (const p of processors) p.start();
    const t0 = performance.now();
    let issued = 0;
    const inFlight = new Set<Promise<void>>();
    while (running) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (issued < due) {
        let s = issued % streams;
        for (let k = 0; busy[s] && k < streams; k++) s = (s + 1) % streams;
        issued++;
        if (busy[s]) continue; // every stream busy: the storm is saturated, drop this one
        const p = decide(s).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(2);
    }
    await Promise.all(inFlight);
    return (performance.now() - t0) / 1000;
  })();
  return {
    async stop() {
      running = false;
      const seconds = await loop;
      for (const p of processors) await p.stop();
      await writers.end();
      await readers.end();
      if (errors.length) console.error('storm errors (first):', errors[0]);
      return `${appended} storm appends (${(appended / seconds).toFixed(0)}/s, ${failures} failed), ${projected} projected`;
    },
  };
}

let storm: { stop(): Promise<string> } | undefined;
process.on('message', (m: { db?: DatabaseOptions; rate?: number; stop?: boolean }) => {
  if (m.db && m.rate) storm = startStorm(m.db, m.rate);
  else if (m.stop && storm) {
    void storm.stop().then(
      (summary) => process.send!({ summary }, () => process.exit(0)),
      (e) => {
        console.error('storm:', e);
        process.exit(1);
      },
    );
  }
});
// The parent gone (killed, timed out): stop too.
process.on('disconnect', () => process.exit(0));
