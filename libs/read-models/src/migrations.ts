import type { Migration } from '@condorhub/event-store';

// Read models are disposable: rebuilt from the events at any time (see the projector).
export const readModelSchema: Migration = {
  id: '100_read_models',
  sql: `
CREATE TABLE servers (
  user_name text NOT NULL,
  server_name text NOT NULL,
  stream_id text NOT NULL,
  stream_version bigint NOT NULL,
  spawn_id uuid,
  phase text NOT NULL,
  job_id text,
  host text,
  slot text,
  port int,
  target text,
  url text,
  requested_at timestamptz,
  ready_at timestamptz,
  stopped_at timestamptz,
  state jsonb NOT NULL,
  PRIMARY KEY (user_name, server_name)
);
CREATE INDEX servers_phase ON servers (phase);

CREATE TABLE routes (
  route_spec text PRIMARY KEY,
  spawn_id uuid NOT NULL,
  target text NOT NULL,
  owner text NOT NULL,
  server_name text NOT NULL,
  state text NOT NULL,
  requested_position bigint NOT NULL,
  requested_at timestamptz NOT NULL
);
-- A target belongs to at most one live route.
CREATE UNIQUE INDEX routes_target ON routes (target);

CREATE TABLE nodes (
  host text PRIMARY KEY,
  state text NOT NULL,
  strikes jsonb NOT NULL,
  quarantined_at timestamptz,
  quarantine_reason text,
  released_at timestamptz,
  released_by text,
  spawns_started int NOT NULL,
  last_seen_at timestamptz
);

CREATE TABLE spawn_attempts (
  spawn_id uuid PRIMARY KEY,
  user_name text NOT NULL,
  server_name text NOT NULL,
  job_id text,
  host text,
  outcome text NOT NULL,
  stage text,
  diagnosis text,
  user_message text,
  requested_at timestamptz NOT NULL,
  ready_at timestamptz,
  ended_at timestamptz,
  retry_of uuid
);
CREATE INDEX spawn_attempts_requested ON spawn_attempts (requested_at DESC);

CREATE TABLE users (
  name text PRIMARY KEY,
  admin boolean NOT NULL,
  created_at timestamptz NOT NULL,
  last_activity timestamptz
);
`,
};

export const readModelMigrations = [readModelSchema];
/**
 * The projector's checkpoint name for these tables (bump it when a projection changes: a new
 * name rebuilds from the first event). Readers use it to find the events not projected yet.
 */
export const READ_MODELS_PROCESSOR = 'read-models:v1';

export const READ_MODEL_TABLES = ['servers', 'routes', 'nodes', 'spawn_attempts', 'users'] as const;
