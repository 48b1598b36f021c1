import { Inject, Injectable } from '@nestjs/common';
import { ServerName, UserName, serverStreamId } from '@condorhub/contracts';
import type { Config } from '@condorhub/config';
import type { SpawnOptions } from '@condorhub/contracts';
import { CONFIG } from '@condorhub/runtime';
import { type LimitBreach, type ServerState, checkSiteLimits, isActive, siteLimits } from '@condorhub/server-lifecycle';
import { HubError, badRequest } from '../../http/hub-error';
import { ServerEvents } from '../../events/server-events';
import { type HubUser, HubStore } from '../../store/hub-store';

/** A user name from a path: one that cannot be valid cannot exist either. */
export function pathUserName(raw: string): string {
  if (!UserName.safeParse(raw).success) throw new HubError(404, `No such user: ${raw}`);
  return raw;
}

export function pathServerName(raw: string | undefined): string {
  const name = raw ?? '';
  const parsed = ServerName.safeParse(name);
  if (!parsed.success) throw badRequest(`Invalid server name '${name}': ${parsed.error.issues[0]?.message}`);
  return name;
}

/** Lookups and waits shared by the server use cases. */
@Injectable()
export class ServerAccess {
  constructor(
    @Inject(HubStore) readonly store: HubStore,
    @Inject(ServerEvents) private readonly events: ServerEvents,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * The site limit a start would break, checked here only to answer before asking the spawner
   * (which decides on the same policy and has the last word).
   */
  async siteLimitBreach(user: string, serverName: string, options: SpawnOptions): Promise<LimitBreach | undefined> {
    let others = 0;
    if (serverName) {
      for (const [name, state] of await this.store.servers(user)) {
        if (name !== '' && name !== serverName && isActive(state)) others++;
      }
    }
    return checkSiteLimits(siteLimits(this.config), { user, serverName, options }, others);
  }

  async existingUser(name: string): Promise<HubUser> {
    const user = await this.store.user(name);
    if (!user) throw new HubError(404, `No such user: ${name}`);
    return user;
  }

  /** The server's state; a named server that never existed is a 404, as in JupyterHub. */
  async existingServer(user: string, serverName: string): Promise<ServerState> {
    const state = await this.store.server(user, serverName);
    if (serverName && state.streamVersion === 0) {
      throw new HubError(404, `${user} has no server named '${serverName}'`);
    }
    return state;
  }

  /**
   * Re-reads the server until `done` says so or `timeoutMs` passes; woken by NATS, with a
   * short poll in case the wake-up is lost. Returns the last state read.
   */
  async waitFor(
    user: string,
    serverName: string,
    done: (s: ServerState) => boolean,
    timeoutMs: number,
  ): Promise<ServerState> {
    const deadline = Date.now() + timeoutMs;
    let state = await this.store.server(user, serverName);
    while (!done(state) && Date.now() < deadline) {
      await this.events.wait(serverStreamId(user, serverName), Math.min(250, deadline - Date.now()));
      state = await this.store.server(user, serverName);
    }
    return state;
  }
}
