import type { Pool } from 'pg';
import type { Migration } from '@condorhub/event-store';

/** The hub's OAuth authorization codes (oauth_codes): its table and every query on it. */

// Authorization codes are secrets with a life of minutes: stored as hashes, never as events.
export const oauthCodesSchema: Migration = {
  id: '310_hub_oauth_codes',
  sql: `
CREATE TABLE oauth_codes (
  code_hash text PRIMARY KEY,
  client_id text NOT NULL,
  user_name text NOT NULL,
  owner text NOT NULL,
  server_name text NOT NULL,
  spawn_id uuid NOT NULL,
  redirect_uri text NOT NULL,
  code_challenge text,
  code_challenge_method text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  token_id bigint
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);
`,
};

export interface OAuthCode {
  clientId: string;
  userName: string;
  owner: string;
  serverName: string;
  spawnId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expired: boolean;
}

/** Stores a code by its hash, valid for `ttlS` seconds from the database's clock. */
export async function insertOAuthCode(
  pool: Pool,
  codeHash: string,
  c: Omit<OAuthCode, 'expired'>,
  ttlS: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO oauth_codes (code_hash, client_id, user_name, owner, server_name, spawn_id, redirect_uri,
                              code_challenge, code_challenge_method, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10::int))`,
    [
      codeHash,
      c.clientId,
      c.userName,
      c.owner,
      c.serverName,
      c.spawnId,
      c.redirectUri,
      c.codeChallenge,
      c.codeChallengeMethod,
      ttlS,
    ],
  );
}

/** Deletes codes that expired more than a day ago (kept a day to recognise a late replay). */
export async function pruneOAuthCodes(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(`DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'`);
  return rowCount ?? 0;
}

/** Marks an unused code used and returns it; undefined when unknown or already used. */
export async function useOAuthCode(pool: Pool, codeHash: string): Promise<OAuthCode | undefined> {
  const { rows } = await pool.query(
    `UPDATE oauth_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL
     RETURNING client_id, user_name, owner, server_name, spawn_id::text, redirect_uri, code_challenge,
               code_challenge_method, expires_at <= now() AS expired`,
    [codeHash],
  );
  const r = rows[0];
  return r
    ? {
        clientId: r.client_id,
        userName: r.user_name,
        owner: r.owner,
        serverName: r.server_name,
        spawnId: r.spawn_id,
        redirectUri: r.redirect_uri,
        codeChallenge: r.code_challenge,
        codeChallengeMethod: r.code_challenge_method,
        expired: r.expired,
      }
    : undefined;
}

/** A stored code's token: undefined for an unknown code, null when no token was issued for it. */
export async function oauthCodeToken(pool: Pool, codeHash: string): Promise<string | null | undefined> {
  const { rows } = await pool.query<{ token_id: string | null }>(
    'SELECT token_id::text FROM oauth_codes WHERE code_hash = $1',
    [codeHash],
  );
  return rows.length ? rows[0].token_id : undefined;
}

/** Remembers which token a code was exchanged for, so a replay of the code can revoke it. */
export async function linkOAuthCodeToken(pool: Pool, codeHash: string, tokenId: string): Promise<void> {
  await pool.query('UPDATE oauth_codes SET token_id = $2 WHERE code_hash = $1', [codeHash, tokenId]);
}
