import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Authenticator, Principal } from '../../auth/principal';
import { extractToken } from '../../auth/token-extraction';
import { ownerScopes } from '../../auth/token.authenticator';
import { Sessions } from './sessions';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The browser's session cookie as an API credential (the pages' progress stream, the JSON the
 * pages read). A request that also carries a token is the token's; a state-changing request
 * counts the cookie only with its CSRF token, so another page cannot act with it.
 */
@Injectable()
export class SessionAuthenticator implements Authenticator {
  constructor(@Inject(Sessions) private readonly sessions: Sessions) {}

  async authenticate(req: IncomingMessage): Promise<Principal | 'invalid' | undefined> {
    if (extractToken(req) || !this.sessions.session(req)) return undefined;
    if (!SAFE.has(req.method ?? 'GET') && !this.sessions.csrfValid(req)) return undefined;
    const login = await this.sessions.current(req);
    if (!login) return undefined;
    return {
      kind: 'session',
      user: login.user.name,
      scopes: ownerScopes(['inherit'], login.user.name, login.user.admin),
      sessionId: null,
    };
  }
}
