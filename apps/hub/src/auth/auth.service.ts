import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '@condorhub/runtime';
import { HubError } from '../http/hub-error';
import { groupsByUser, readAllGroups } from '../store/groups';
import { type Authenticator, HUB_AUTHENTICATORS, type Principal } from './principal';
import { type ScopeTarget, anyScopeAllows, hasGroupFilter } from './scopes';

const PRINCIPAL = Symbol('condorhub.principal');

/** Authentication (who) and scope checks (may they), in JupyterHub's terms and status codes. */
@Injectable()
export class AuthService {
  constructor(
    @Inject(HUB_AUTHENTICATORS) private readonly authenticators: Authenticator[],
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** The caller, or 401 when there is no credential or it is not valid. */
  async principal(req: IncomingMessage): Promise<Principal> {
    const cached = (req as any)[PRINCIPAL] as Principal | undefined;
    if (cached) return cached;
    for (const a of this.authenticators) {
      const result = await a.authenticate(req);
      if (result === 'invalid') throw new HubError(401, 'Invalid or expired credentials');
      if (result) {
        (req as any)[PRINCIPAL] = result;
        return result;
      }
    }
    throw new HubError(401, 'Missing or invalid credentials');
  }

  /** The caller if one of `scopes` allows the action on the target; 403 otherwise. */
  async require(req: IncomingMessage, scopes: string[], target: ScopeTarget = {}): Promise<Principal> {
    const p = await this.principal(req);
    let allowed = anyScopeAllows(p.scopes, scopes, target);
    if (!allowed && target.user !== undefined && !target.userGroups && hasGroupFilter(p.scopes)) {
      // A `!group=` scope grants on the group's members: look their groups up only then.
      const userGroups = groupsByUser(await readAllGroups(this.pool)).get(target.user) ?? [];
      allowed = anyScopeAllows(p.scopes, scopes, { ...target, userGroups });
    }
    if (!allowed) {
      throw new HubError(
        403,
        `Action is not authorized with current scopes; requires any of [${scopes.map((s) => `'${s}'`).join(', ')}]`,
      );
    }
    return p;
  }
}
