// The relay alone, as its own process (the projector app also runs it in-process).
import { databaseOptions, eventStreamOptions, loadConfig, natsOptions } from '@condorhub/config';
import { createPool, noAppendApplicationName } from '@condorhub/event-store';
import { connectNats, createRelay, ensureEventStream } from '@condorhub/messaging';

async function main() {
  const config = loadConfig();
  const db = databaseOptions(config, noAppendApplicationName('condorhub-relay'));
  const pool = createPool(db);
  const nc = await connectNats(natsOptions(config, 'condorhub-relay'));
  await ensureEventStream(nc, eventStreamOptions(config));
  const relay = createRelay({
    pool,
    db,
    nc,
    prefix: config.CONDORHUB_NATS_PREFIX,
    onError: (e) => console.error(`relay: ${String(e)}`),
  });
  relay.start();
  const stop = async () => {
    await relay.stop();
    await nc.drain().catch(() => undefined);
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
