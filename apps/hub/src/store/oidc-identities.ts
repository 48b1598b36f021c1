import type { Pool } from 'pg';
import type { Migration } from '@condorhub/event-store';

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

/** Which identity-provider account (issuer + subject) owns a user name (oidc_identities). */
export interface OidcIdentity {
  userName: string;
  issuer: string;
  subject: string;
}

/** Binds a name to an account unless the name or the account is bound already. */
export async function bindOidcIdentity(pool: Pool, id: OidcIdentity): Promise<void> {
  await pool.query(
    'INSERT INTO oidc_identities (user_name, issuer, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [id.userName, id.issuer, id.subject],
  );
}

/** The bindings of the name, and of the account: at most two rows, one when all agree. */
export async function oidcIdentitiesOf(pool: Pool, id: OidcIdentity): Promise<OidcIdentity[]> {
  const { rows } = await pool.query<{ user_name: string; issuer: string; subject: string }>(
    'SELECT user_name, issuer, subject FROM oidc_identities WHERE user_name = $1 OR (issuer = $2 AND subject = $3)',
    [id.userName, id.issuer, id.subject],
  );
  return rows.map((r) => ({ userName: r.user_name, issuer: r.issuer, subject: r.subject }));
}
