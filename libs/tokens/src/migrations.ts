import type { Migration } from '@condorhub/event-store';

// Secrets never enter the event log: tokens live here, only as hashes.
export const apiTokensSchema: Migration = {
  id: '200_api_tokens',
  sql: `
CREATE TABLE api_tokens (
  id bigserial PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  owner text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('user', 'server', 'oauth', 'admin')),
  spawn_id uuid,
  server_name text,
  client_id text,
  scopes jsonb NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_spawn ON api_tokens (spawn_id) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_owner ON api_tokens (owner) WHERE revoked_at IS NULL;
`,
};
export const tokenMigrations = [apiTokensSchema];
