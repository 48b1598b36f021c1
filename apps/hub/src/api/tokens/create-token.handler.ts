import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { issueToken } from '@condorhub/tokens';
import { AuthService } from '../../auth/auth.service';
import { expandScopes } from '../../auth/scopes';
import { ownerScopes } from '../../auth/token.authenticator';
import { HubError, badRequest } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { issuedTokenRecord } from '@condorhub/tokens';
import { ServerAccess, pathUserName } from '../servers/server-access';

const TokenRequest = z
  .object({
    note: z.string().max(1000).optional(),
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 86400)
      .nullable()
      .optional(),
    scopes: z.array(z.string().min(1).max(200)).max(100).optional(),
    roles: z.array(z.string()).max(0, 'roles are not supported; ask for scopes').optional(),
  })
  .strict();

/** POST /users/<name>/tokens: a new API token for the user, shown once (JupyterHub's shape). */
@Injectable()
export class CreateTokenHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
  ) {}

  async handle(req: IncomingMessage, rawName: string, body: unknown) {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['tokens'], { user: name });
    const parsed = TokenRequest.safeParse(body ?? {});
    if (!parsed.success) {
      throw badRequest(
        `Invalid token request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
      );
    }
    const user = await this.servers.existingUser(name);
    const requested = parsed.data.scopes ?? ['inherit'];
    if (!requested.includes('inherit')) {
      // A token never holds more than its owner, nor more than the caller who asks for it.
      const owner = new Set(ownerScopes(['inherit'], name, user.admin));
      const caller = new Set(p.scopes);
      const held = (s: string, set: Set<string>) => set.has(s) || set.has(s.split('!')[0]);
      const excess = expandScopes(requested, name).filter((s) => !held(s, owner) || !held(s, caller));
      if (excess.length)
        throw new HubError(403, `Not assigning requested scopes ${excess.join(', ')} not held by ${name}`);
    } else if (p.user !== name && p.kind !== 'admin-token' && !p.scopes.includes('admin:users')) {
      throw new HubError(403, `Only ${name} or an admin may create a token with all of ${name}'s permissions`);
    }
    const note =
      parsed.data.note ?? (p.user === name ? 'Requested via api' : `Requested via api by ${p.user ?? 'admin'}`);
    const token = await issueToken(this.store.pool, {
      owner: name,
      kind: 'user',
      scopes: requested,
      note,
      expiresInS: parsed.data.expires_in ?? undefined,
    });
    const row = await issuedTokenRecord(this.store.pool, token);
    return {
      token,
      id: `a${row.id}`,
      kind: 'api_token',
      user: name,
      note,
      roles: [],
      scopes: ownerScopes(requested, name, user.admin),
      created: row.created_at.toISOString(),
      expires_at: row.expires_at?.toISOString() ?? null,
      last_activity: null,
      oauth_client: null,
      session_id: null,
    };
  }
}
