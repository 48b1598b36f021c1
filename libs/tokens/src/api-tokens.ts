import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '@condorhub/event-store';

export type TokenKind = 'user' | 'server' | 'oauth' | 'admin';

export interface TokenRecord {
  id: string;
  owner: string;
  kind: TokenKind;
  spawnId: string | null;
  serverName: string | null;
  clientId: string | null;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
}

/** Tokens are 32 random bytes: a plain SHA-256 is enough (no dictionary to attack). */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
export const newTokenValue = () => randomBytes(32).toString('hex');

export interface IssueToken {
  owner: string;
  kind: TokenKind;
  scopes: string[];
  spawnId?: string;
  serverName?: string;
  clientId?: string;
  note?: string;
  expiresInS?: number;
}

/** Stores a new token's hash and returns the token, which is never stored or shown again. */
export async function issueToken(sql: Sql, req: IssueToken): Promise<string> {
  const token = newTokenValue();
  await sql.query(
    `INSERT INTO api_tokens (token_hash, token_prefix, owner, kind, spawn_id, server_name, client_id, scopes, note, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10::int IS NULL THEN NULL ELSE now() + make_interval(secs => $10::int) END)`,
    [
      hashToken(token),
      token.slice(0, 4),
      req.owner,
      req.kind,
      req.spawnId ?? null,
      req.serverName ?? null,
      req.clientId ?? null,
      JSON.stringify(req.scopes),
      req.note ?? null,
      req.expiresInS ?? null,
    ],
  );
  return token;
}

/** The live token record for a presented token, or undefined (unknown, revoked or expired). */
export async function verifyToken(sql: Sql, token: string): Promise<TokenRecord | undefined> {
  if (!token || token.length > 256) return undefined;
  const { rows } = await sql.query(
    `UPDATE api_tokens SET last_used_at = now()
      WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      RETURNING id::text, owner, kind, spawn_id, server_name, client_id, scopes, created_at, expires_at`,
    [hashToken(token)],
  );
  const r = rows[0];
  return r
    ? {
        id: r.id,
        owner: r.owner,
        kind: r.kind,
        spawnId: r.spawn_id,
        serverName: r.server_name,
        clientId: r.client_id,
        scopes: r.scopes,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    : undefined;
}

/** Revokes every token of a spawn (its server token and the OAuth tokens issued to it). */
export async function revokeSpawnTokens(sql: Sql, spawnId: string): Promise<number> {
  const { rowCount } = await sql.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE spawn_id = $1 AND revoked_at IS NULL',
    [spawnId],
  );
  return rowCount ?? 0;
}

export async function revokeToken(sql: Sql, id: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [id],
  );
  return rowCount === 1;
}

/** Scopes of a server's own token, as JupyterHub's `server` role gives them. */
export function serverTokenScopes(user: string, serverName: string): string[] {
  return [`users:activity!user=${user}`, `access:servers!server=${user}/${serverName}`, `read:users:name!user=${user}`];
}

/**
 * The OAuth client id of a server (the notebook's JUPYTERHUB_CLIENT_ID, also its cookie name).
 * The default server's is JupyterHub's `jupyterhub-user-<user>`; a named server's joins user
 * and server with `~`, which neither name may hold, where JupyterHub's `-` made user `a-b` and
 * user `a`'s server `b` the same client. `~` is also legal in a cookie name.
 */
export function oauthClientId(user: string, serverName: string): string {
  return serverName
    ? `jupyterhub-user-${encodeURIComponent(user)}~${encodeURIComponent(serverName)}`
    : `jupyterhub-user-${encodeURIComponent(user)}`;
}
