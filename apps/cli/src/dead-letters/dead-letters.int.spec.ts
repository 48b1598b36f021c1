import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { DurableConsumer, createRelay, idempotent } from '@condorhub/messaging';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats } from '@condorhub/testing';
import { run } from '../main';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('condorhub dead-letters: list and replay (real PostgreSQL + NATS)', () => {
  let t: TestDatabase;
  let n: TestNats;
  let relay: ReturnType<typeof createRelay>;
  const consumers: DurableConsumer[] = [];
  /** Jobs the consumer cannot handle yet (a bug, fixed later by the operator). */
  const broken = new Set(['66.0', '67.0']);
  /** Every event the bystander consumer saw: replays are not for it. */
  const bystander: string[] = [];

  before(async () => {
    t = await createTestDatabase('cli_dead_letters');
    n = await createTestNats('cli_dead_letters');
    Object.assign(process.env, {
      CONDORHUB_DATABASE_URL: t.db.url,
      CONDORHUB_DATABASE_SCHEMA: t.schema,
      CONDORHUB_NATS_URL: n.url,
      CONDORHUB_NATS_PREFIX: n.prefix,
      CONDORHUB_NATS_STREAM: n.streamName,
    });
    await t.pool.query('CREATE TABLE effects (job_id text NOT NULL)');
    relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    consumers.push(
      new DurableConsumer({
        nc: n.nc,
        streamName: n.streamName,
        prefix: n.prefix,
        durable: 'dl-cli',
        pool: t.pool,
        maxDeliver: 2,
        backoffMs: [50],
        handle: idempotent(t.pool, 'dl-cli', async (e: EventEnvelope, tx) => {
          const jobId = (e.data as any).jobId as string;
          if (broken.has(jobId)) throw new Error(`cannot handle job ${jobId}`);
          await tx.query('INSERT INTO effects (job_id) VALUES ($1)', [jobId]);
        }),
      }),
      new DurableConsumer({
        nc: n.nc,
        streamName: n.streamName,
        prefix: n.prefix,
        durable: 'bystander',
        handle: async (e) => void bystander.push((e.data as any).jobId),
      }),
    );
    for (const c of consumers) await c.start();
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId('dlcli', ''), [
      newEvent('JobIdle', { spawnId, jobId: '66.0' }),
      newEvent('JobIdle', { spawnId, jobId: '67.0' }),
    ]);
    await until('two dead letters', async () => (await t.pool.query('SELECT 1 FROM dead_letters')).rowCount === 2);
  });
  after(async () => {
    for (const c of consumers) await c.stop();
    await relay?.stop();
    await n?.drop();
    await t?.drop();
  });

  const capture = async (argv: string[]) => {
    let text = '';
    const code = await run(argv, (s) => (text += s));
    return { code, text };
  };
  const ids = async () =>
    (
      await t.pool.query<{ id: string; job: string }>(
        `SELECT id::text, payload::jsonb->'data'->>'jobId' AS job FROM dead_letters ORDER BY id`,
      )
    ).rows;
  const effects = async () =>
    (await t.pool.query<{ job_id: string }>('SELECT job_id FROM effects ORDER BY job_id')).rows.map((r) => r.job_id);

  it('lists each dead letter: what, why and when', async () => {
    const { code, text } = await capture(['dead-letters']);
    assert.equal(code, 0);
    const [first, second] = await ids();
    assert.match(
      text,
      new RegExp(
        `#${first.id}  \\d{4}-\\d\\d-\\d\\dT[^ ]+  dl-cli  JobIdle on server-dlcli/ \\(event [0-9a-f-]{36}\\)`,
      ),
    );
    assert.match(text, /why: failed 2 times: Error: cannot handle job 66\.0/);
    assert.match(text, new RegExp(`#${second.id} .*\\n    why: failed 2 times: Error: cannot handle job 67\\.0`));
  });

  it('refuses a bad or unknown id, and replays nothing', async () => {
    await assert.rejects(capture(['dead-letters', 'replay']), /name dead letter ids, or --all/);
    await assert.rejects(capture(['dead-letters', 'replay', 'abc']), /not a dead letter id: abc/);
    await assert.rejects(capture(['dead-letters', 'replay', '999999']), /no dead letter #999999; nothing replayed/);
    await assert.rejects(capture(['dead-letters', 'resend']), /unknown dead-letters command "resend"/);
    const { rows } = await t.pool.query('SELECT 1 FROM dead_letters WHERE replayed_at IS NOT NULL');
    assert.equal(rows.length, 0);
  });

  it('replays one letter after the fix; --all replays the rest, once; the consumers stay idempotent', async () => {
    const [first] = await ids();
    broken.delete('66.0');
    assert.match(
      (await capture(['dead-letters', 'replay', first.id])).text,
      new RegExp(`#${first.id} replayed to dl-cli`),
    );
    await until('the replayed effect', async () => (await effects()).includes('66.0'));
    assert.match((await capture(['dead-letters'])).text, new RegExp(`#${first.id} .*replayed 1×`));

    // Still broken: the replay fails again and becomes a new dead letter; the first is not replayed again.
    const all = await capture(['dead-letters', 'replay', '--all']);
    assert.doesNotMatch(all.text, new RegExp(`#${first.id} `));
    await until(
      'the second dead letter of 67.0',
      async () => (await ids()).filter((d) => d.job === '67.0').length === 2,
    );

    broken.delete('67.0');
    await capture(['dead-letters', 'replay', '--all']);
    await until('67.0 handled', async () => (await effects()).includes('67.0'));
    // A replay of something already done changes nothing.
    await capture(['dead-letters', 'replay', first.id]);
    await sleep(500);
    assert.deepEqual(await effects(), ['66.0', '67.0']);
    assert.match((await capture(['dead-letters', 'replay', '--all'])).text, /no dead letters to replay/);
    assert.deepEqual(bystander.sort(), ['66.0', '67.0'], 'replays reach only the consumer that gave them up');
  });
});
