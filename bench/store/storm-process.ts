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

const cpuPercent = (since: NodeJS.CpuUsage, seconds: number) => {
  const used = process.cpuUsage(since);
  return (((used.user + used.system) / 1e6 / seconds) * 100).toFixed(0);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jobIdle = () => newEvent('JobIdle', { spawnId: randomUUID(), jobId: '1.0' });

/**
 * Each event is a spawner-like decision over 200 server streams (a transaction that reads the
 * stream, appends one event at its version, disarms the previous timer and arms the next),
 * followed live by a projector-like reader (a transaction per batch upserting one read-model
 * row per event, as a no-append session) and a relay-like reader (after-commit mode, nothing
 * published). Its own pools, so the measured writers' backends stay apart.
 *
 * The readers first catch up on the log the bench wrote before (40,000+ events); only then do
 * the storm's appends start, and `onReady` is called once they have run for STEADY_MS. A
 * services' projector and relay follow the log live: a catch-up during the measurement would
 * be a read-model rebuild, not a storm (before session 11, a fixed 3 s wait left the first
 * seconds of the measurement to it: the catch-up takes 3–6 s here).
 */
const STEADY_MS = 2_000;

function startStorm(
  db: DatabaseOptions,
  rate: number,
  onReady: (caughtUp: { events: number; seconds: number }) => void,
): { stop(): Promise<string> } {
  const writers = createPool({ ...db, max: 8, applicationName: 'bench-storm' });
  const readerDb = { ...db, max: 4, applicationName: noAppendApplicationName('bench-storm-reader') };
  const readers = createPool(readerDb);
  const streams = 200;
  const versions = new Array<number>(streams).fill(0);
  const busy = new Array<boolean>(streams).fill(false);
  let appended = 0;
  let failures = 0;
  let projected = 0;
  let projectorBatches = 0;
  let relayBatches = 0;
  let cpu0 = process.cpuUsage();
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
        projectorBatches++;
      },
      onError: (e) => errors.push(e),
    }),
    new EventProcessor({
      name: `storm-relay-${rate}`,
      pool: readers,
      db: readerDb,
      mode: 'after',
      checkpointEveryMs: 100,
      handle: async () => {
        relayBatches++;
      },
      onError: (e) => errors.push(e),
    }),
  ];
  let running = true;
  const loop = (async () => {
    await writers.query(
      'CREATE TABLE IF NOT EXISTS storm_servers (stream_id text PRIMARY KEY, version bigint, last_type text)',
    );
    const c0 = performance.now();
    for (const p of processors) p.start();
    await Promise.all(processors.map((p) => p.caughtUp()));
    const caughtUp = { events: projected, seconds: (performance.now() - c0) / 1000 };
    projected = 0;
    projectorBatches = 0;
    relayBatches = 0;
    const t0 = performance.now();
    cpu0 = process.cpuUsage();
    let issued = 0;
    let ready = false;
    const inFlight = new Set<Promise<void>>();
    while (running) {
      if (!ready && performance.now() - t0 >= STEADY_MS) {
        ready = true;
        onReady(caughtUp);
      }
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
      return (
        `${appended} storm appends (${(appended / seconds).toFixed(0)}/s, ${failures} failed), ${projected} projected live in ${projectorBatches} batches (relay: ${relayBatches} batches); ` +
        `the storm's process used ${cpuPercent(cpu0, seconds)} % of a core`
      );
    },
  };
}

let storm: { stop(): Promise<string> } | undefined;
process.on('message', (m: { db?: DatabaseOptions; rate?: number; stop?: boolean }) => {
  if (m.db && m.rate) storm = startStorm(m.db, m.rate, (caughtUp) => process.send!({ ready: caughtUp }));
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
