// `condorhub`: the operators' command. Reads the event store directly; changes go through the
// same events and commands the services use.
import { loadConfig, databaseOptions, natsOptions } from '@condorhub/config';
import { ServerName, UserName, serverStreamId } from '@condorhub/contracts';
import { createPool, readStream } from '@condorhub/event-store';
import { connectNats, sendCommand } from '@condorhub/messaging';
import { rebuildReadModels } from '@condorhub/read-models';
import { describeDeadLetters, replayDeadLetters } from './dead-letters/dead-letters';
import { explainSpawn, spawnEvents } from './explain/explain-spawn';
import { withSideStreams } from './explain/with-side-streams';
import { forceRemove } from './force-remove/force-remove';
import { formatEvent } from './tail/format-event';
import { tailEvents } from './tail/tail-events';

const USAGE = `usage: condorhub <command>
  events [--stream ID] [--type TYPE] [--last N] [--follow]   print events in log order
  explain USER[/SERVER] [--spawn ID]       one spawn, step by step, with its diagnosis
  replay USER[/SERVER]                     every event of a server with the phase it led to
  rebuild [--keep]                         replay all events into fresh read models and compare
  nodes                                    worker nodes: spawns, strikes, quarantine
  release-node HOST                        put a quarantined node back into service
  force-remove USER[/SERVER]               end a server entry now (the job is still removed)
  dead-letters                             messages a consumer gave up on: what, why, when
  dead-letters replay ID...|--all          send them back to their consumer (--all: those not replayed yet)
environment: CONDORHUB_DATABASE_URL, CONDORHUB_DATABASE_SCHEMA, CONDORHUB_NATS_URL, …`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function server(arg: string | undefined): { user: string; serverName: string } {
  if (!arg) throw new Error('name a server: USER or USER/SERVER');
  const [user, serverName = '', ...rest] = arg.split('/');
  if (rest.length || !UserName.safeParse(user).success || !ServerName.safeParse(serverName).success) {
    throw new Error(`bad server "${arg}": expected USER or USER/SERVER`);
  }
  return { user, serverName };
}

export async function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === 'help') {
    out(USAGE + '\n');
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const pool = createPool({ ...databaseOptions(config, 'condorhub-cli'), max: 2 });
  try {
    switch (command) {
      case 'events': {
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        await tailEvents(
          pool,
          {
            stream: flag(args, '--stream'),
            type: flag(args, '--type'),
            last: Number(flag(args, '--last') ?? 20),
            follow: args.includes('--follow'),
            signal: abort.signal,
          },
          (e) => out(formatEvent(e) + '\n'),
        );
        return 0;
      }
      case 'explain': {
        const { user, serverName } = server(args[0]);
        const events = spawnEvents(await readStream(pool, serverStreamId(user, serverName)), flag(args, '--spawn'));
        out(explainSpawn(await withSideStreams(pool, events)));
        return 0;
      }
      case 'replay': {
        const { user, serverName } = server(args[0]);
        const events = await readStream(pool, serverStreamId(user, serverName));
        const spawns = [...new Set(events.map((e) => (e.data as any).spawnId as string))];
        for (const id of spawns) out(explainSpawn(await withSideStreams(pool, spawnEvents(events, id))) + '\n');
        if (!events.length) out('no events\n');
        return 0;
      }
      case 'rebuild': {
        let last = 0;
        const result = await rebuildReadModels(databaseOptions(config, 'condorhub-cli'), {
          keep: args.includes('--keep'),
          onProgress: (n) => {
            if (n - last >= 1_000) out(`  replayed ${(last = n)} events\n`);
          },
        });
        out(`replayed ${result.events} events into ${result.schema}${args.includes('--keep') ? '' : ' (dropped)'}\n`);
        if (!result.differences.length) out('read models match the events: no differences\n');
        for (const d of result.differences)
          out(`  ${d.table}: ${d.onlyLive} rows only live, ${d.onlyRebuilt} only rebuilt\n`);
        return result.differences.length ? 1 : 0;
      }
      case 'nodes': {
        const { rows } = await pool.query(
          `SELECT host, state, jsonb_array_length(strikes) AS strikes, spawns_started, quarantine_reason FROM nodes ORDER BY host`,
        );
        for (const r of rows) {
          out(
            `${r.host.padEnd(16)} ${r.state.padEnd(12)} spawns ${r.spawns_started}  strikes ${r.strikes}${r.quarantine_reason ? `  (${r.quarantine_reason})` : ''}\n`,
          );
        }
        if (!rows.length) out('no nodes have run a spawn yet\n');
        return 0;
      }
      case 'release-node': {
        if (!args[0]) throw new Error('name the host');
        const nc = await connectNats(natsOptions(config, 'condorhub-cli'));
        try {
          const reply = await sendCommand(nc, config.CONDORHUB_NATS_PREFIX, 'spawner', 'releaseNode', {
            host: args[0],
            by: process.env.USER ?? 'operator',
          });
          out(reply.accepted ? `${args[0]} released\n` : `refused: ${reply.reason}\n`);
          return reply.accepted ? 0 : 1;
        } finally {
          await nc.close();
        }
      }
      case 'force-remove': {
        const { user, serverName } = server(args[0]);
        out((await forceRemove(pool, user, serverName, `operator:${process.env.USER ?? 'unknown'}`)) + '\n');
        return 0;
      }
      case 'dead-letters': {
        if (!args.length) {
          out(await describeDeadLetters(pool));
          return 0;
        }
        if (args[0] !== 'replay')
          throw new Error(`unknown dead-letters command "${args[0]}": list, or replay ID...|--all`);
        const ids = args.slice(1);
        if (!ids.length || (ids.includes('--all') && ids.length > 1))
          throw new Error('replay what? name dead letter ids, or --all');
        const nc = await connectNats({ url: config.CONDORHUB_NATS_URL, name: 'condorhub-cli' });
        try {
          out(await replayDeadLetters(pool, nc, config.CONDORHUB_NATS_PREFIX, ids[0] === '--all' ? 'all' : ids));
          return 0;
        } finally {
          await nc.close();
        }
      }
      default:
        out(`unknown command "${command}"\n${USAGE}\n`);
        return 2;
    }
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`condorhub: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
