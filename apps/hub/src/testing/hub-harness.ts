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
import { createReadModelsProcessor, openReadModels, readModelMigrations } from '@condorhub/read-models';
import { CONFIG, DB_OPTIONS, NATS, PG_POOL, READ_MODELS } from '@condorhub/runtime';
import {
  type LifecycleSettings,
  decideStart,
  decideStop,
  foldNode,
  foldServer,
  lifecycleSettings,
  react,
} from '@condorhub/server-lifecycle';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats } from '@condorhub/testing';
import { tokenMigrations } from '@condorhub/tokens';
import { configureHubApp } from '../configure-hub-app';
import { HubModule, type HubModuleOptions } from '../hub.module';
import { hubMigrations } from '../migrations';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/**
 * How the stand-in spawner answers a start for a user: what the world reports, and how fast
 * ('pending': condor_submit has not returned yet; see `jobQueued`).
 */
export type StartScript = 'pending' | 'happy' | 'happy-slow' | 'fail' | 'fail-fast' | 'reject-unavailable';
export type StopScript = 'fast' | 'slow';

// What the world reports during a spawn (condor, the launcher, the notebook, the proxy). What
// the lifecycle appends in answer (RouteRequested, ServerReady, SpawnFailed, the removal) is
// the real `react`'s, run by the stand-in spawner below: these tests show the hub on the
// lifecycle's own events, not on a hand-written copy of them.
export const happyFacts = (spawnId: string, user: string, serverName: string, port = 41000): NewEvent[] => {
  const prefix = serverPrefix(user, serverName);
  const target = `http://127.0.0.2:${port}`;
  return [
    newEvent('JobSubmitted', { spawnId, jobId: `${port}.0`, submitHost: 'sim' }),
    newEvent('JobIdle', { spawnId, jobId: `${port}.0` }),
    newEvent('JobRunning', { spawnId, jobId: `${port}.0`, host: '127.0.0.2', slot: 'slot1@127.0.0.2' }),
    newEvent('PortReported', { spawnId, host: '127.0.0.2', port }),
    newEvent('NotebookResponded', { spawnId, url: `${target}${prefix}api`, version: '2.14.0', status: 200 }),
    newEvent('RouteAdded', { spawnId, routeSpec: prefix, target }),
  ];
};

export const failFacts = (spawnId: string): NewEvent[] => [
  newEvent('JobSubmitted', { spawnId, jobId: '77.0', submitHost: 'sim' }),
  newEvent('JobRunning', { spawnId, jobId: '77.0', host: '127.0.0.3', slot: 'slot1@127.0.0.3' }),
  newEvent('LauncherReported', {
    spawnId,
    stage: 'preflight',
    diagnosis: 'home-over-quota',
    message: 'Home directory full',
    exitCode: 1,
    stderrTail: 'OSError: [Errno 122] Disk quota exceeded',
  }),
];

// The stand-in spawner refuses only what the lifecycle refuses; site limits are the hub's own tests'.
const NO_SITE_LIMITS = { maxCpus: Infinity, maxMemoryMb: Infinity, namedServerLimit: Infinity };

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
  private lifecycle!: LifecycleSettings;
  /** Per stream: the work queued on it, and how many of its events have had their reaction. */
  private lanes = new Map<string, Promise<unknown>>();
  private reacted = new Map<string, number>();
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
    this.lifecycle = lifecycleSettings(config);
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

  /** The pending spawn's condor_submit returns: its job is in the queue, idle. */
  async jobQueued(user: string, serverName = '') {
    const streamId = serverStreamId(user, serverName);
    const { spawnId } = foldServer(await readStream(this.t.pool, streamId));
    for (const e of happyFacts(spawnId!, user, serverName, this.ports.get(user)).slice(0, 2))
      await this.record(streamId, user, [e]);
  }

  async streamEvents(user: string, serverName = '') {
    return readStream(this.t.pool, serverStreamId(user, serverName));
  }

  /** Runs `work` after the stream's earlier work: one writer per stream, as the real saga's expected version ensures. */
  private inLane<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.lanes.get(streamId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.lanes.set(streamId, run);
    return run;
  }

  /**
   * Appends `events`, then what the real lifecycle (`react`) appends in answer to each event not
   * answered yet, until the stream is quiet. A removal's condor_rm succeeds at once, as the
   * spawner then records ServerStopped, unless the user's stop script is 'slow'. Timers are
   * not run: no test here waits for a deadline.
   */
  private record(streamId: string, user: string, events: NewEvent[]): Promise<void> {
    return this.inLane(streamId, async () => {
      if (events.length) await appendToStream(this.t.pool, streamId, events);
      for (;;) {
        const stored = await readStream(this.t.pool, streamId);
        const next = this.reacted.get(streamId) ?? 0;
        if (next >= stored.length) return;
        this.reacted.set(streamId, next + 1);
        const event = stored[next];
        const state = foldServer(stored.slice(0, next + 1));
        const r = react(state, event, this.lifecycle);
        const answer = [...r.append];
        const removal = r.removeJob && state.phase === 'stopping' && (event.data as any).spawnId === state.spawnId;
        if (removal && (this.stopScripts.get(user) ?? 'fast') === 'fast') {
          answer.push(
            newEvent('ServerStopped', { spawnId: state.spawnId!, reason: state.failure ? 'spawn failed' : 'stopped' }),
          );
        }
        if (answer.length) await appendToStream(this.t.pool, streamId, answer);
      }
    });
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
          const spawnId = randomUUID();
          const decision = decideStart(
            foldServer(await readStream(pool(), streamId)),
            { spawnId, user: cmd.user, serverName: cmd.serverName, options: cmd.options, by: cmd.by },
            { limits: NO_SITE_LIMITS, otherActiveNamedServers: 0 },
          );
          if (!decision.ok) return rejected(decision.code, decision.reason);
          await this.record(streamId, cmd.user, decision.events);
          const facts =
            script === 'happy' || script === 'happy-slow'
              ? happyFacts(spawnId, cmd.user, cmd.serverName, this.ports.get(cmd.user))
              : script === 'fail' || script === 'fail-fast'
                ? failFacts(spawnId)
                : [];
          if (script === 'happy' || script === 'fail-fast') {
            for (const e of facts) await this.record(streamId, cmd.user, [e]);
          } else if (facts.length) {
            // One fact at a time, as a real spawn would: a progress reader sees them live.
            this.background.push(
              (async () => {
                for (const e of facts) {
                  await sleep(script === 'fail' ? 120 : 60);
                  await this.record(streamId, cmd.user, [e]);
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
          const decision = decideStop(foldServer(await readStream(pool(), streamId)), cmd);
          if (!decision.ok) return rejected(decision.code, decision.reason);
          await this.record(streamId, cmd.user, decision.events);
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
