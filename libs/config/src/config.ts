import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

// Environment variables are the interface operators script against. Every service reads its
// settings here, and a bad value stops it at start with the key named.
const seconds = (def: number) => z.coerce.number().positive().default(def);
const url = (def: string) => z.string().url().default(def);
const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
/** A count, or 'auto' (the default): `factor` for each core this process may use, at most 64. */
const perCore = (factor: number, max: number) =>
  z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(max)])
    .default('auto')
    .transform((n) => (n === 'auto' ? Math.min(64, factor * availableParallelism()) : n));
/** A comma-separated list, trimmed, empties dropped. */
export const envList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

export const ConfigSchema = z.object({
  CONDORHUB_DATABASE_URL: url('postgres://postgres@127.0.0.1:5432/condorhub'),
  // Store connections per service process (each has its own pool). Unset: the service's own
  // default (the spawner, which handles up to 32 saga events and its condor calls at once, 24; the others 10).
  CONDORHUB_DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).optional(),
  CONDORHUB_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('public'),
  CONDORHUB_NATS_URL: url('nats://127.0.0.1:4222'),
  // NATS credentials, all optional (an open local server needs none): user and password, a
  // token, a .creds file (JWT + seed) or an nkey seed file; TLS with a CA and a client
  // certificate. See README "Locking NATS down" for the per-service permissions.
  CONDORHUB_NATS_USER: z.string().optional(),
  CONDORHUB_NATS_PASSWORD: z.string().optional(),
  CONDORHUB_NATS_TOKEN: z.string().optional(),
  CONDORHUB_NATS_CREDS_FILE: z.string().optional(),
  CONDORHUB_NATS_NKEY_SEED_FILE: z.string().optional(),
  CONDORHUB_NATS_TLS_CA: z.string().optional(),
  CONDORHUB_NATS_TLS_CERT: z.string().optional(),
  CONDORHUB_NATS_TLS_KEY: z.string().optional(),
  CONDORHUB_NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('condorhub'),
  CONDORHUB_NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('CONDORHUB'),
  CONDORHUB_PUBLIC_URL: url('http://127.0.0.1:8000'),
  // The proxy as jobs on the workers reach it (the hub API, activity, the port report), when
  // that differs from the browsers' address: a worker in another container or behind NAT
  // (docker-compose.yml: http://proxy:8000). Unset: CONDORHUB_PUBLIC_URL.
  CONDORHUB_JOB_HUB_URL: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/]/, 'must be an http(s) URL')
    .optional(),
  CONDORHUB_PROXY_PORT: port(8000),
  CONDORHUB_PROXY_HOST: z.string().default('127.0.0.1'),
  // Proxy processes sharing the port on this host (apps/proxy/src/main.ts), each a full replica.
  // 'auto' (default): one per core this process may use, as one Node process uses one core.
  CONDORHUB_PROXY_WORKERS: perCore(1, 64),
  // The library HTTP requests are forwarded with (websockets always use http-proxy-3); see
  // apps/proxy/src/forwarding/forwarder.ts for why http-proxy is the default.
  CONDORHUB_PROXY_HTTP_LIBRARY: z.enum(['http-proxy', 'http-proxy-3']).default('http-proxy'),
  CONDORHUB_HUB_PORT: port(8081),
  CONDORHUB_PORT_REGISTRY_PORT: port(8082),
  CONDORHUB_BIND_HOST: z.string().default('127.0.0.1'),
  // /metrics, /health and /ready of the services without an HTTP server of their own, on
  // CONDORHUB_BIND_HOST; 0 (default) = not served. The hub, port registry and proxy serve them
  // on their own ports. Services in one process asking for one port share one listener.
  CONDORHUB_SPAWNER_METRICS_PORT: port(0),
  CONDORHUB_POLLER_METRICS_PORT: port(0),
  CONDORHUB_PROJECTOR_METRICS_PORT: port(0),
  // How long each /ready check (store, NATS, consumers) may take before it counts as failed.
  CONDORHUB_READY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Where the proxy reaches the hub and the port registry (default: 127.0.0.1 and their ports). */
  CONDORHUB_HUB_URL: z.string().url().optional(),
  CONDORHUB_PORT_REGISTRY_URL: z.string().url().optional(),
  // condorhub's own proxies, whose X-Forwarded-For hop the hub and the port registry believe
  // (libs/runtime/src/client-address.ts): addresses or CIDR blocks as those services see the proxy.
  // The address decides where a launcher credential may be used and whom the login and token rate
  // limits count; in a split deployment add the proxy's address.
  CONDORHUB_TRUSTED_PROXIES: envList
    .refine((l) => l.every((e) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(e)), 'must be addresses or CIDR blocks')
    .default(['127.0.0.1', '::1']),
  // 'on': a launcher credential is exchanged only from the address of the job's host (when it
  // resolves). 'off' for pools where workers reach the hub through NAT or another interface.
  CONDORHUB_LAUNCHER_HOST_CHECK: z.enum(['on', 'off']).default('on'),
  CONDORHUB_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CONDORHUB_ADMIN_USERS: envList,
  CONDORHUB_AUTHENTICATOR: z.enum(['dummy', 'header', 'oidc']).default('dummy'),
  CONDORHUB_COOKIE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CONDORHUB_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug']).default('log'),
  CONDORHUB_CONDOR_BIN: z.string().optional(),
  CONDORHUB_CONDOR_PREFIX: z.string().default(''),
  // `-name` / `-pool` for every condor tool: a schedd other than the local one, and the pool's
  // central manager (several pools, or a hub that is not on a submit host).
  CONDORHUB_CONDOR_SCHEDD_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._@:-]{1,255}$/)
    .optional(),
  CONDORHUB_CONDOR_POOL: z
    .string()
    .regex(/^[A-Za-z0-9._:[\]-]{1,255}$/)
    .optional(),
  // This hub's tag, `+CondorhubInstance` in every job it submits: it queries and removes as
  // strays only jobs with its own tag, so several hubs can share a schedd. Unset: derived from
  // the database (instanceTagOf), so two hubs on different databases or schemas differ.
  CONDORHUB_INSTANCE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  // condor tools run as the user with only PATH, HOME, locale, CONDOR_CONFIG, _CONDOR_* and
  // HTCondor's credential variables of the service's environment (libs/condor run-condor-command.ts);
  // more names here, comma-separated, a trailing * for a prefix. CONDORHUB_* is refused.
  CONDORHUB_CONDOR_ENV_PASSTHROUGH: envList.refine(
    (names) => names.every((n) => /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(n) && !/^CONDORHUB_/i.test(n)),
    'must be variable names (NAME or PREFIX*), none of them CONDORHUB_*',
  ),
  // The spawner's condor_submit/condor_rm run this much nicer than the services (0–19; 0 = same
  // priority), so a submit storm cannot starve the spawns already in flight.
  CONDORHUB_CONDOR_NICE: z.coerce.number().int().min(0).max(19).default(10),
  // condor_submit/condor_rm calls the spawner runs at once. Each is a process that spends its
  // start on this host's CPU and then waits for the schedd, which takes them one at a time: many
  // more than there are cores only slow each other and every service here (bench:spawn: 16 at
  // once, the old fixed number, submitted no faster than 4 and more than doubled its overhead p99).
  // 'auto' (default): two per core this process may use. A remote schedd far away may want more.
  CONDORHUB_CONDOR_CONCURRENCY: perCore(2, 256),
  CONDORHUB_SUBMIT_TEMPLATE: z.string().optional(),
  CONDORHUB_LAUNCHER: z.string().optional(),
  CONDORHUB_NOTEBOOK_CMD: z.string().default('jupyterhub-singleuser'),
  CONDORHUB_JUPYTERHUB_VERSION: z.string().default('3.0.0'),
  CONDORHUB_PENDING_POLL_S: seconds(1),
  CONDORHUB_RUNNING_POLL_S: seconds(30),
  CONDORHUB_IDLE_TIMEOUT_S: seconds(300),
  CONDORHUB_PORT_TIMEOUT_S: seconds(120),
  CONDORHUB_HANDSHAKE_TIMEOUT_S: seconds(60),
  CONDORHUB_CONDOR_TIMEOUT_S: seconds(30),
  // A job of this hub that no live server names is removed after this long (apps/condor-poller/src/stray-jobs).
  CONDORHUB_STRAY_JOB_GRACE_S: seconds(120),
  CONDORHUB_UNKNOWN_AFTER_FAILURES: z.coerce.number().int().min(1).default(3),
  CONDORHUB_QUARANTINE_STRIKES: z.coerce.number().int().min(1).default(2),
  CONDORHUB_QUARANTINE_WINDOW_S: seconds(1800),
  // Distinct users whose spawns a node must have failed within the window before it is
  // quarantined: one user alone (a suspended job, a broken setup) can never take a node out.
  CONDORHUB_QUARANTINE_MIN_USERS: z.coerce.number().int().min(1).default(2),
  // Site limits on one start (libs/server-lifecycle spawn-policy): the spawner refuses a start
  // over them whoever sent it; the hub's form and REST API answer 400 first.
  CONDORHUB_MAX_CPUS: z.coerce.number().int().min(1).max(256).default(8),
  CONDORHUB_MAX_MEMORY_MB: z.coerce.number().int().min(256).max(4_194_304).default(32_768),
  // Named servers one user may have active at once (0: named servers are off).
  CONDORHUB_NAMED_SERVER_LIMIT: z.coerce.number().int().min(0).default(5),
  // The hub's login and token endpoints (POST /hub/login, /hub/api/oauth2/token,
  // /hub/api/users/<n>/tokens): attempts per window per client address and per user name (or
  // OAuth client); over either, 429 with Retry-After. 0: no limit.
  CONDORHUB_AUTH_RATE_WINDOW_S: seconds(60),
  CONDORHUB_AUTH_RATE_PER_ADDRESS: z.coerce.number().int().min(0).default(60),
  CONDORHUB_AUTH_RATE_PER_NAME: z.coerce.number().int().min(0).default(10),
  // Phase deadlines (libs/server-lifecycle/src/react.ts): a spawn not submitted within
  // SUBMIT_DEADLINE_S fails (longer than condor_submit's own retries: 3 × CONDOR_TIMEOUT_S and
  // the lookups); a route the proxy has not added within ROUTE_TIMEOUT_S fails the spawn; a stop
  // not done within STOP_TIMEOUT_S is driven again, and after STOP_ATTEMPTS such deadlines the
  // server is stopped anyway (the poller removes a job that outlives it as a stray).
  CONDORHUB_SUBMIT_DEADLINE_S: seconds(300),
  CONDORHUB_ROUTE_TIMEOUT_S: seconds(60),
  CONDORHUB_STOP_TIMEOUT_S: seconds(60),
  CONDORHUB_STOP_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  // The idle culler (in the spawner): a ready server with no activity (proxy traffic or the
  // notebook's own reports) for CULL_IDLE_S, or up longer than CULL_MAX_AGE_S since it was
  // requested, is stopped. 0 turns each off (the default). It looks every CULL_EVERY_S
  // (default: a tenth of the shorter limit, between 1 and 60 s).
  CONDORHUB_CULL_IDLE_S: z.coerce.number().min(0).default(0),
  CONDORHUB_CULL_MAX_AGE_S: z.coerce.number().min(0).default(0),
  CONDORHUB_CULL_EVERY_S: z.coerce.number().positive().optional(),
  // The hub also deletes users idle for CULL_IDLE_S with no active server (as
  // jupyterhub-idle-culler --cull-users does); admins are never deleted.
  CONDORHUB_CULL_USERS: z
    .enum(['true', 'false'], { message: 'CONDORHUB_CULL_USERS must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  // The JetStream stream is only a transport (the event store is the record): it keeps events
  // for at most MAX_AGE_S and MAX_BYTES, oldest dropped first. At least an hour, so JetStream's
  // 10-minute duplicate window for the relay's re-publishes fits.
  CONDORHUB_NATS_STREAM_MAX_AGE_S: z.coerce
    .number()
    .int()
    .min(3600)
    .default(7 * 86_400),
  CONDORHUB_NATS_STREAM_MAX_BYTES: z.coerce.number().int().min(1_048_576).default(1_073_741_824),
  // Inbox rows (which events each consumer handled) and fired timers older than this are pruned
  // hourly by the spawner. An event can be redelivered as long as the stream holds it, so this
  // must be at least CONDORHUB_NATS_STREAM_MAX_AGE_S (checked in loadConfig).
  CONDORHUB_INBOX_RETENTION_S: z.coerce
    .number()
    .int()
    .positive()
    .default(14 * 86_400),
});

/** Rules between keys, checked after each key's own. */
const CheckedConfigSchema = ConfigSchema.superRefine((c, ctx) => {
  if (c.CONDORHUB_INBOX_RETENTION_S < c.CONDORHUB_NATS_STREAM_MAX_AGE_S) {
    ctx.addIssue({
      code: 'custom',
      path: ['CONDORHUB_INBOX_RETENTION_S'],
      message: `must be at least CONDORHUB_NATS_STREAM_MAX_AGE_S (${c.CONDORHUB_NATS_STREAM_MAX_AGE_S}): an event can be redelivered as long as the stream holds it, and its inbox row must outlive that`,
    });
  }
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The CONDORHUB_* variables (empty ones count as unset) parsed with `schema`; throws
 * ConfigError naming every bad key. Shared by the services' config and the hub's web settings.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const picked = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('CONDORHUB_') && v !== ''));
  const result = schema.safeParse(picked);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** Reads and validates the configuration; throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(CheckedConfigSchema, env);
}

/** Nest logger levels for CONDORHUB_LOG_LEVEL. */
export function logLevels(config: Config): ('error' | 'warn' | 'log' | 'debug')[] {
  const all = ['error', 'warn', 'log', 'debug'] as const;
  return all.slice(0, all.indexOf(config.CONDORHUB_LOG_LEVEL) + 1);
}

export function databaseOptions(config: Config, applicationName: string, defaultPoolMax = 10) {
  return {
    url: config.CONDORHUB_DATABASE_URL,
    schema: config.CONDORHUB_DATABASE_SCHEMA,
    applicationName,
    max: config.CONDORHUB_DATABASE_POOL_MAX ?? defaultPoolMax,
  };
}

/** NATS connection settings (libs/messaging connectNats) for a client named `name`. */
export function natsOptions(config: Config, name: string) {
  return {
    url: config.CONDORHUB_NATS_URL,
    name,
    user: config.CONDORHUB_NATS_USER,
    password: config.CONDORHUB_NATS_PASSWORD,
    token: config.CONDORHUB_NATS_TOKEN,
    credsFile: config.CONDORHUB_NATS_CREDS_FILE,
    nkeySeedFile: config.CONDORHUB_NATS_NKEY_SEED_FILE,
    tlsCa: config.CONDORHUB_NATS_TLS_CA,
    tlsCert: config.CONDORHUB_NATS_TLS_CERT,
    tlsKey: config.CONDORHUB_NATS_TLS_KEY,
  };
}

/**
 * The default CONDORHUB_INSTANCE: `ch-` and 10 hex digits of a SHA-256 of the database's host,
 * port, database name and schema — the same for every service of one hub and stable across
 * restarts. Never the user or password, so the tag in job ads gives nothing away.
 */
export function instanceTagOf(databaseUrl: string, schema: string): string {
  const u = new URL(databaseUrl);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const key = [u.hostname.toLowerCase(), u.port || '5432', database, schema].join('\n');
  return `ch-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** The HTCondor adapter's settings (libs/condor CondorClientConfig), the same for every service. */
export function condorClientOptions(config: Config) {
  return {
    binDir: config.CONDORHUB_CONDOR_BIN,
    scheddName: config.CONDORHUB_CONDOR_SCHEDD_NAME,
    pool: config.CONDORHUB_CONDOR_POOL,
    instance:
      config.CONDORHUB_INSTANCE ?? instanceTagOf(config.CONDORHUB_DATABASE_URL, config.CONDORHUB_DATABASE_SCHEMA),
    commandPrefix: config.CONDORHUB_CONDOR_PREFIX || undefined,
    timeoutMs: config.CONDORHUB_CONDOR_TIMEOUT_S * 1000,
    submitTemplate: config.CONDORHUB_SUBMIT_TEMPLATE,
    nice: config.CONDORHUB_CONDOR_NICE,
    envPassthrough: config.CONDORHUB_CONDOR_ENV_PASSTHROUGH,
  };
}

/** The JetStream event stream's name, subjects and limits (libs/messaging ensureEventStream). */
export function eventStreamOptions(config: Config) {
  return {
    streamName: config.CONDORHUB_NATS_STREAM,
    prefix: config.CONDORHUB_NATS_PREFIX,
    maxAgeS: config.CONDORHUB_NATS_STREAM_MAX_AGE_S,
    maxBytes: config.CONDORHUB_NATS_STREAM_MAX_BYTES,
  };
}
