import { Inject, Injectable } from '@nestjs/common';
import { newEvent, userStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream } from '@condorhub/event-store';
import { type HubUser, HubStore } from '../../store/hub-store';

/** As JupyterHub: a user who logs in for the first time is created (an event on user-<name>). */
@Injectable()
export class UserProvisioning {
  constructor(@Inject(HubStore) private readonly store: HubStore) {}

  async ensure(name: string, via: string): Promise<HubUser> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.store.user(name);
      if (existing) return existing;
      const stream = await this.store.userStream(name);
      try {
        await appendToStream(
          this.store.pool,
          userStreamId(name),
          [newEvent('UserCreated', { name, admin: false, by: `login:${via}` })],
          { expectedVersion: stream.version === 0 ? 'no_stream' : stream.version, metadata: { actor: name } },
        );
      } catch (error) {
        // A second tab logged in at the same moment: read again.
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
    const user = await this.store.user(name);
    if (!user) throw new Error(`could not create user ${name}`);
    return user;
  }
}
