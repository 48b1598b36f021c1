import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { serverTokenScopes, verifyToken } from '@condorhub/tokens';
import { HubStore } from '../store/hub-store';
import type { Authenticator, Principal } from './principal';
import { ADMIN_SCOPES, expandScopes, impliedScopes, normalizeScopes } from './scopes';
import { extractToken } from './token-extraction';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** API tokens: the configured admin token, or a token from libs/tokens. */
@Injectable()
export class TokenAuthenticator implements Authenticator {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(HubStore) private readonly store: HubStore,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Principal | 'invalid' | undefined> {
    const token = extractToken(req);
    if (!token) return undefined;
    const admin = this.config.CONDORHUB_ADMIN_TOKEN;
    if (admin && sameSecret(token, admin)) {
      return { kind: 'admin-token', scopes: expandScopes(ADMIN_SCOPES), sessionId: null };
    }
    const record = await verifyToken(this.store.pool, token);
    if (!record) return 'invalid';
    if (record.kind === 'server') {
      const serverName = record.serverName ?? '';
      return {
        kind: 'server',
        user: record.owner,
        serverName,
        scopes: expandScopes(record.scopes.length ? record.scopes : serverTokenScopes(record.owner, serverName)),
        tokenId: record.id,
        sessionId: null,
      };
    }
    if (record.kind === 'admin') {
      return { kind: 'admin-token', scopes: expandScopes(ADMIN_SCOPES), tokenId: record.id, sessionId: null };
    }
    // A user's token carries what its owner may do now: admin rights follow the owner.
    const user = await this.store.user(record.owner);
    if (!user) return 'invalid';
    return {
      kind: record.kind === 'oauth' ? 'oauth' : 'user',
      user: record.owner,
      scopes: ownerScopes(record.scopes, record.owner, user.admin),
      tokenId: record.id,
      sessionId: null,
    };
  }
}

/** A user token's scopes: `inherit` (the default) is everything the owner has. */
export function ownerScopes(tokenScopes: string[], owner: string, admin: boolean): string[] {
  const owned = admin ? ['self', ...ADMIN_SCOPES] : ['self'];
  if (!tokenScopes.length || tokenScopes.includes('inherit')) return expandScopes(owned, owner);
  // Explicit scopes never exceed the owner's: they were checked when the token was issued,
  // and an owner who lost admin must not keep it through an old token.
  const held = impliedScopes(owned, owner);
  return normalizeScopes([...impliedScopes(tokenScopes, owner)].filter((s) => heldScope(held, s)));
}

/** Held as is, unfiltered, or (for one server of a user) through the same scope on that user. */
function heldScope(held: Set<string>, scope: string): boolean {
  const [base, filter] = scope.split('!');
  if (held.has(scope) || held.has(base)) return true;
  const server = /^server=([^/]+)\//.exec(filter ?? '');
  return !!server && held.has(`${base}!user=${server[1]}`);
}
