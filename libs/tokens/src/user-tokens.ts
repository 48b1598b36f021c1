import type { Pool } from 'pg';
import { hashToken } from './api-tokens';

/** A user's own token as the API shows it. */
export interface UserTokenRow {
  id: string;
  kind: string;
  client_id: string | null;
  scopes: string[];
  note: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

// A user's own tokens: API tokens and those issued through OAuth. Servers' tokens belong to
// their spawn and end with it; they are not the user's to list or revoke.
const LIVE_TOKENS = `SELECT id::text AS id, kind, client_id, scopes, note, created_at, expires_at, last_used_at
  FROM api_tokens WHERE owner = $1 AND kind IN ('user', 'oauth') AND revoked_at IS NULL
   AND (expires_at IS NULL OR expires_at > now())`;

/** A user's live tokens, oldest first. */
export async function listUserTokens(pool: Pool, owner: string): Promise<UserTokenRow[]> {
  return (await pool.query<UserTokenRow>(`${LIVE_TOKENS} ORDER BY id`, [owner])).rows;
}

/** One live token of a user by its row id (the digits of `a<n>`). */
export async function findUserToken(pool: Pool, owner: string, id: string): Promise<UserTokenRow | undefined> {
  return (await pool.query<UserTokenRow>(`${LIVE_TOKENS} AND id = $2`, [owner, id])).rows[0];
}

/** When a token just issued was stored, and when it expires. */
export async function issuedTokenRecord(
  pool: Pool,
  token: string,
): Promise<{ id: string; created_at: Date; expires_at: Date | null }> {
  const { rows } = await pool.query<{ id: string; created_at: Date; expires_at: Date | null }>(
    'SELECT id::text AS id, created_at, expires_at FROM api_tokens WHERE token_hash = $1',
    [hashToken(token)],
  );
  return rows[0];
}
