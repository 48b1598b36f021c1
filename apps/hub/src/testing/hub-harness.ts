import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Subscription } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@condorhub/config';
import {
  type NewEvent,
  type SpawnerCommandData,
  accepted,
  newEvent,
  nodeStreamId,
  rejected,
  serverPrefix,
  serverStreamId,
  spawnerCommands,
} from '@condorhub/contracts';
import { type EventProcessor, appendToStream, readStream } from '@condorhub/event-store';
import { createRelay, serveCommands } from '@condorhub/messaging';
import { openReadModels, readModelMigrations } from '@condorhub/read-models';
import { CONFIG, DB_OPTIONS, NATS, PG_POOL, READ_MODELS } from '@condorhub/runtime';
import { foldNode, foldServer, isActive } from '@condorhub/server-lifecycle';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats } from '@condorhub/testing';
import { tokenMigrations } from '@condorhub/tokens';
import { createReadModelsProcessor } from '../../../projector/src/projections/read-models.processor';
import { configureHubApp } from '../configure-hub-app';
import { HubModule, type HubModuleOptions } from '../hub.module';
import { hubMigrations } from '../migrations';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** How the stand-in spawner answers a start for a user: what it appends, and how fast. */
export type StartScript = 'pending' | 'happy' | 'happy-slow' | 'fail' | 'fail-fast' | 'reject-unavailable';
export type StopScript = 'fast' | 'slow';

export const happyPath = (spawnId: string, user: string, serverName: string, port = 41000): NewEvent[] => {
  const prefix = serverPrefix(user, serverName);
  const target = `http://127.0.0.2:${port}`;
  return [
    newEvent('JobSubmitted', { spawnId, jobId: `${port}.0`, submitHost: 'sim' }),
    newEvent('JobIdle', { spawnId, jobId: `${port}.0` }),
    newEvent('JobRunning', { spawnId, jobId: `${port}.0`, host: '127.0.0.2', slot: 'slot1@127.0.0.2' }),
    newEvent('PortReported', { spawnId, host: '127.0.0.2', port }),
    newEvent('NotebookResponded', { spawnId, url: `${target}${prefix}api`, version: '2.14.0', status: 200 }),
    newEvent('RouteRequested', { spawnId, routeSpec: prefix, target, owner: user }),
    newEvent('RouteAdded', { spawnId, routeSpec: prefix, target }),
    newEvent('ServerReady', { spawnId, url: prefix }),
  ];
};

export const failPath = (spawnId: string): NewEvent[] => [
  newEvent('JobSubmitted', { spawnId, jobId: '77.0', submitHost: 'sim' }),
  newEvent('JobRunning', { spawnId, jobId: '77.0', host: '127.0.0.3', slot: 'slot1@127.0.0.3' }),
  newEvent('LauncherReported', {
    spawnId,
    stage: 'preflight',
    diagnosis: 'home-over-quota',
    message: 'home directory full',
    exitCode: 1,
    stderrTail: 'OSError: [Errno 122] Disk quota exceeded',
  }),
  newEvent('SpawnFailed', {
    spawnId,
    stage: 'start',
    diagnosis: 'home-over-quota',
    userMessage: 'Your home directory is full.',
    stderrTail: 'OSError: [Errno 122] Disk quota exceeded',
  }),
  newEvent('JobRemovalRequested', { spawnId, jobId: '77.0' }),
  newEvent('ServerStopped', { spawnId, reason: 'spawn failed' }),
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The real hub module on a fresh schema and JetStream stream, with the real projector
 * processor and relay, and a stand-in spawner answering over NATS that appends the events a
 * real spawn would (scripted per user).
 */
export class HubHarness {
  app!: NestExpressApplication;
  server!: Server;
  t!: TestDatabase;
  n!: TestNats;
  ds!: DataSource;
  private processors: EventProcessor[] = [];
  private subs: Subscription[] = [];
  private background: Promise<unknown>[] = [];
  startScripts = new Map<string, StartScript>();
  stopScripts = new Map<string, StopScript>();
  /** The notebook port (and job cluster) a user's scripted spawns report; 41000 unless set. */
  ports = new Map<string, number>();
  commands: { verb: string; payload: unknown }[] = [];

  /** `env`: extra configuration keys; `web`: browser-side settings (login, limits). */
  async start(label: string, opts: { env?: Record<string, string>; web?: HubModuleOptions['web'] } = {}) {
    this.t = await createTestDatabase(label, [...readModelMigrations, ...tokenMigrations, ...hubMigrations]);
    this.n = await createTestNats(label);
    this.ds = await openReadModels(this.t.db);
    const config = loadConfig({
      CONDORHUB_DATABASE_SCHEMA: this.t.schema,
      CONDORHUB_NATS_PREFIX: this.n.prefix,
      CONDORHUB_NATS_STREAM: this.n.streamName,
      CONDORHUB_ADMIN_TOKEN: ADMIN_TOKEN,
      CONDORHUB_ADMIN_USERS: 'root',
      // Tests try wrong secrets on purpose, many in a second; the limits have their own test.
      CONDORHUB_AUTH_RATE_PER_NAME: '0',
      CONDORHUB_AUTH_RATE_PER_ADDRESS: '0',
      ...opts.env,
    });
    const values = [
      { provide: CONFIG, useValue: config },
      { provide: DB_OPTIONS, useValue: this.t.db },
      { provide: PG_POOL, useValue: this.t.pool },
      { provide: NATS, useValue: this.n.nc },
      { provide: READ_MODELS, useValue: this.ds },
    ];
    @Global()
    @Module({ providers: values, exports: values.map((v) => v.provide) })
    class TestRuntime {}
    @Module({
      imports: [
        TestRuntime,
        HubModule.forRoot({
          slowSpawnMs: 300,
          slowStopMs: 300,
          keepaliveMs: 150,
          progressPollMs: 250,
          retryGraceMs: 500,
          commandTimeoutMs: 2_000,
          web: opts.web,
        }),
      ],
    })
    class TestHub {}
    this.app = await NestFactory.create<NestExpressApplication>(TestHub, { bodyParser: false, logger: false });
    configureHubApp(this.app);
    await this.app.init();
    this.server = this.app.getHttpServer();

    this.processors = [
      createReadModelsProcessor({ pool: this.t.pool, db: this.t.db, dataSource: this.ds }),
      createRelay({ pool: this.t.pool, db: this.t.db, nc: this.n.nc, prefix: this.n.prefix }),
    ];
    for (const p of this.processors) p.start();
    this.serveSpawner();
  }

  async stop() {
    await Promise.allSettled(this.background);
    for (const s of this.subs) s.unsubscribe();
    await this.app?.close();
    for (const p of this.processors) await p.stop();
    await this.ds?.destroy();
    await this.n?.drop();
    await this.t?.drop();
  }

  /** Waits until the stand-in spawner has appended everything it scheduled. */
  async settled() {
    await Promise.allSettled(this.background);
  }

  /**
   * Stops the read-models projector, so that a test can show what the hub answers while the
   * read models are behind; `resumeProjection` starts a new one from the stored checkpoint.
   */
  async pauseProjection() {
    await this.processors[0].stop();
  }

  resumeProjection() {
    this.processors[0] = createReadModelsProcessor({ pool: this.t.pool, db: this.t.db, dataSource: this.ds });
    this.processors[0].start();
  }

  /** Waits until the read models have every event stored so far. */
  async projected() {
    await this.processors[0].caughtUp();
  }

  async streamEvents(user: string, serverName = '') {
    return readStream(this.t.pool, serverStreamId(user, serverName));
  }

  private serveSpawner() {
    const pool = () => this.t.pool;
    this.subs = serveCommands(this.n.nc, this.n.prefix, 'spawner', {
      start: {
        schema: spawnerCommands.start,
        handle: async (raw) => {
          const cmd = raw as SpawnerCommandData<'start'>;
          this.commands.push({ verb: 'start', payload: cmd });
          const script = this.startScripts.get(cmd.user) ?? 'pending';
          if (script === 'reject-unavailable') return rejected('unavailable', 'no condor');
          const streamId = serverStreamId(cmd.user, cmd.serverName);
          const state = foldServer(await readStream(pool(), streamId));
          if (state.phase === 'stopping') return rejected('stopping', 'server is stopping');
          if (isActive(state)) return rejected('already-active', 'server is active');
          const spawnId = randomUUID();
          await appendToStream(pool(), streamId, [
            newEvent('SpawnRequested', {
              spawnId,
              user: cmd.user,
              serverName: cmd.serverName,
              options: cmd.options,
              requestedBy: cmd.by,
            }),
          ]);
          const rest =
            script === 'happy' || script === 'happy-slow'
              ? happyPath(spawnId, cmd.user, cmd.serverName, this.ports.get(cmd.user))
              : script === 'fail' || script === 'fail-fast'
                ? failPath(spawnId)
                : [];
          if (script === 'happy' || script === 'fail-fast') await appendToStream(pool(), streamId, rest);
          else if (rest.length) {
            // One event at a time, as a real spawn would: a progress reader sees them live.
            this.background.push(
              (async () => {
                for (const e of rest) {
                  await sleep(script === 'fail' ? 120 : 60);
                  await appendToStream(pool(), streamId, [e]);
                }
              })(),
            );
          }
          return accepted({ spawnId });
        },
      },
      stop: {
        schema: spawnerCommands.stop,
        handle: async (raw) => {
          const cmd = raw as SpawnerCommandData<'stop'>;
          this.commands.push({ verb: 'stop', payload: cmd });
          const streamId = serverStreamId(cmd.user, cmd.serverName);
          const state = foldServer(await readStream(pool(), streamId));
          if (!isActive(state) || !state.spawnId) return rejected('not-running', 'not running');
          const spawnId = state.spawnId;
          const events: NewEvent[] = [newEvent('StopRequested', { spawnId, by: cmd.by, reason: cmd.reason })];
          if ((this.stopScripts.get(cmd.user) ?? 'fast') === 'fast') {
            events.push(newEvent('ServerStopped', { spawnId, reason: cmd.reason }));
          }
          await appendToStream(pool(), streamId, events);
          return accepted({});
        },
      },
      // As the spawner's ReleaseNodeHandler: only a quarantined node is released.
      releaseNode: {
        schema: spawnerCommands.releaseNode,
        handle: async (raw) => {
          const cmd = raw as SpawnerCommandData<'releaseNode'>;
          this.commands.push({ verb: 'releaseNode', payload: cmd });
          const events = await readStream(pool(), nodeStreamId(cmd.host));
          if (!foldNode(events).quarantined) return rejected('not-quarantined', `${cmd.host} is not quarantined`);
          await appendToStream(
            pool(),
            nodeStreamId(cmd.host),
            [newEvent('NodeReleased', { host: cmd.host, by: cmd.by })],
            {
              expectedVersion: events.length,
            },
          );
          return accepted({ host: cmd.host });
        },
      },
    });
  }
}

/** Reads a whole Server-Sent Events body and returns its `data:` events and the raw text. */
export function sseParser(res: any, callback: (err: Error | null, body: unknown) => void) {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => callback(null, text));
}

export function sseEvents(text: string): any[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice('data: '.length)));
}
