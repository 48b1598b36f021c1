import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { type DatabaseOptions, type Migration, migrate } from '@condorhub/event-store';
import { DB_OPTIONS, PG_POOL } from '@condorhub/runtime';

// Authorization codes are secrets with a life of minutes: stored as hashes, never as events.
export const oauthMigrations: Migration[] = [
  {
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
  },
];

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

const hash = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

@Injectable()
export class OAuthStore implements OnModuleInit {
  constructor(
    @Inject(PG_POOL) readonly pool: Pool,
    @Inject(DB_OPTIONS) private readonly db: DatabaseOptions,
  ) {}

  async onModuleInit() {
    await migrate(this.pool, this.db.schema ?? 'public', oauthMigrations);
  }

  async createCode(c: Omit<OAuthCode, 'expired'>, ttlS: number): Promise<string> {
    const code = randomBytes(24).toString('base64url');
    await this.pool.query(
      `INSERT INTO oauth_codes (code_hash, client_id, user_name, owner, server_name, spawn_id, redirect_uri,
                                code_challenge, code_challenge_method, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10::int))`,
      [
        hash(code),
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
    // Old codes are useless; dropping them here keeps the table small without a timer.
    await this.pool.query(`DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'`);
    return code;
  }

  /**
   * Marks the code used and returns it, once: a second presentation gets 'reused' (and the
   * token issued the first time is revoked, as RFC 6749 §4.1.2 advises).
   */
  async consume(code: string): Promise<OAuthCode | 'reused' | undefined> {
    if (!code || code.length > 200) return undefined;
    const { rows } = await this.pool.query(
      `UPDATE oauth_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL
       RETURNING client_id, user_name, owner, server_name, spawn_id::text, redirect_uri, code_challenge,
                 code_challenge_method, expires_at <= now() AS expired`,
      [hash(code)],
    );
    const r = rows[0];
    if (!r) {
      const { rows: used } = await this.pool.query<{ token_id: string | null }>(
        'SELECT token_id::text FROM oauth_codes WHERE code_hash = $1',
        [hash(code)],
      );
      if (!used.length) return undefined;
      if (used[0].token_id) {
        await this.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
          used[0].token_id,
        ]);
      }
      return 'reused';
    }
    return {
      clientId: r.client_id,
      userName: r.user_name,
      owner: r.owner,
      serverName: r.server_name,
      spawnId: r.spawn_id,
      redirectUri: r.redirect_uri,
      codeChallenge: r.code_challenge,
      codeChallengeMethod: r.code_challenge_method,
      expired: r.expired,
    };
  }

  async recordToken(code: string, tokenHash: string): Promise<void> {
    await this.pool.query(
      `UPDATE oauth_codes SET token_id = (SELECT id FROM api_tokens WHERE token_hash = $2) WHERE code_hash = $1`,
      [hash(code), tokenHash],
    );
  }
}
