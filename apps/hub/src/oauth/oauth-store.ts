import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '@condorhub/runtime';
import { issuedTokenRecord, revokeToken } from '@condorhub/tokens';
import {
  type OAuthCode,
  insertOAuthCode,
  linkOAuthCodeToken,
  oauthCodeToken,
  pruneOAuthCodes,
  useOAuthCode,
} from '../store/oauth-codes';

export type { OAuthCode } from '../store/oauth-codes';

const hash = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

/** Authorization codes: made, used once, and tied to the token they were exchanged for. */
@Injectable()
export class OAuthStore {
  constructor(@Inject(PG_POOL) readonly pool: Pool) {}

  async createCode(c: Omit<OAuthCode, 'expired'>, ttlS: number): Promise<string> {
    const code = randomBytes(24).toString('base64url');
    await insertOAuthCode(this.pool, hash(code), c, ttlS);
    // Old codes are useless; dropping them here keeps the table small without a timer.
    await pruneOAuthCodes(this.pool);
    return code;
  }

  /**
   * Marks the code used and returns it, once: a second presentation gets 'reused' (and the
   * token issued the first time is revoked, as RFC 6749 §4.1.2 advises).
   */
  async consume(code: string): Promise<OAuthCode | 'reused' | undefined> {
    if (!code || code.length > 200) return undefined;
    const found = await useOAuthCode(this.pool, hash(code));
    if (found) return found;
    const tokenId = await oauthCodeToken(this.pool, hash(code));
    if (tokenId === undefined) return undefined;
    if (tokenId) await revokeToken(this.pool, tokenId);
    return 'reused';
  }

  /** Records the token a code was exchanged for (`token`: the value just issued). */
  async recordToken(code: string, token: string): Promise<void> {
    const issued = await issuedTokenRecord(this.pool, token);
    if (issued) await linkOAuthCodeToken(this.pool, hash(code), issued.id);
  }
}
