import type { Migration } from '@condorhub/event-store';

// Activity is hub-owned state, not events: every notebook reports it every few minutes, which
// would flood the log, and read-model tables are rebuilt from events (it would be lost).
export const hubSchema: Migration = {
  id: '300_hub',
  sql: `
CREATE TABLE server_activity (
  user_name text NOT NULL,
  server_name text NOT NULL,
  last_activity timestamptz NOT NULL,
  PRIMARY KEY (user_name, server_name)
);
CREATE TABLE user_activity (
  user_name text PRIMARY KEY,
  last_activity timestamptz NOT NULL
);
`,
};

// Which account at the identity provider (issuer + sub, which never change) owns a user name:
// the name comes from a claim the provider may let users edit, so the first login pins it.
export const oidcIdentities: Migration = {
  id: '301_oidc_identities',
  sql: `
CREATE TABLE oidc_identities (
  user_name  text PRIMARY KEY,
  issuer     text NOT NULL,
  subject    text NOT NULL,
  bound_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (issuer, subject)
);
`,
};

export const hubMigrations: Migration[] = [hubSchema, oidcIdentities];
