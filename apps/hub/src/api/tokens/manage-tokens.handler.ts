import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { revokeToken } from '@condorhub/tokens';
import { AuthService } from '../../auth/auth.service';
import { ownerScopes } from '../../auth/token.authenticator';
import { HubError } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { type UserTokenRow, findUserToken, listUserTokens } from '@condorhub/tokens';
import { ServerAccess, pathUserName } from '../servers/server-access';

/** A token id as JupyterHub shows it (`a<n>`), or undefined for anything else. */
function tokenRowId(id: string): string | undefined {
  const m = /^a([1-9][0-9]{0,17})$/.exec(id);
  return m?.[1];
}

/**
 * GET /users/<name>/tokens, GET and DELETE /users/<name>/tokens/<id>. Tokens are secrets and
 * never enter the event log (only their hashes are kept, in api_tokens): a revoke is a row
 * update, as a create is a row insert.
 */
@Injectable()
export class ManageTokensHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
  ) {}

  async list(req: IncomingMessage, rawName: string) {
    const name = pathUserName(rawName);
    await this.auth.require(req, ['read:tokens'], { user: name });
    const user = await this.servers.existingUser(name);
    const rows = await listUserTokens(this.store.pool, name);
    return { api_tokens: rows.map((r) => this.model(name, user.admin, r)) };
  }

  async get(req: IncomingMessage, rawName: string, rawId: string) {
    const name = pathUserName(rawName);
    await this.auth.require(req, ['read:tokens'], { user: name });
    const user = await this.servers.existingUser(name);
    return this.model(name, user.admin, await this.find(name, rawId));
  }

  async delete(req: IncomingMessage, rawName: string, rawId: string): Promise<void> {
    const name = pathUserName(rawName);
    await this.auth.require(req, ['tokens'], { user: name });
    await this.servers.existingUser(name);
    const row = await this.find(name, rawId);
    if (!(await revokeToken(this.store.pool, row.id))) throw new HubError(404, `No such token: ${rawId}`);
  }

  private async find(user: string, rawId: string): Promise<UserTokenRow> {
    const id = tokenRowId(rawId);
    const row = id ? await findUserToken(this.store.pool, user, id) : undefined;
    if (!row) throw new HubError(404, `No such token: ${rawId}`);
    return row;
  }

  private model(user: string, admin: boolean, r: UserTokenRow) {
    return {
      id: `a${r.id}`,
      kind: 'api_token',
      user,
      note: r.note ?? '',
      roles: [],
      scopes: ownerScopes(r.scopes, user, admin),
      created: r.created_at.toISOString(),
      expires_at: r.expires_at?.toISOString() ?? null,
      last_activity: r.last_used_at?.toISOString() ?? null,
      oauth_client: r.client_id,
      session_id: null,
    };
  }
}
