import { Inject, Injectable } from '@nestjs/common';
import { type HubUser, HubStore } from '../../store/hub-store';
import { changeUser } from '../../store/user-changes';

/** As JupyterHub: a user who logs in for the first time is created (an event on user-<name>). */
@Injectable()
export class UserProvisioning {
  constructor(@Inject(HubStore) private readonly store: HubStore) {}

  async ensure(name: string, via: string): Promise<HubUser> {
    const existing = await this.store.user(name);
    if (existing) return existing;
    const knownFromSpawns = await this.store.knownFromSpawns(name);
    // 'exists': a second tab logged in at the same moment, which is as good.
    await changeUser(
      this.store.pool,
      { kind: 'create', name, admin: false, by: `login:${via}`, knownFromSpawns },
      name,
    );
    const user = await this.store.user(name);
    if (!user) throw new Error(`could not create user ${name}`);
    return user;
  }
}
