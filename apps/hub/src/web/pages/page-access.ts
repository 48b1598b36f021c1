import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { ServerName, UserName } from '@condorhub/contracts';
import { HubError } from '../../http/hub-error';
import { redirect } from '../html/render';
import { type LoggedIn, Sessions } from '../session/sessions';

/** Who is looking at a page, and whether they may see the server it is about. */
@Injectable()
export class PageAccess {
  constructor(@Inject(Sessions) readonly sessions: Sessions) {}

  /** The logged-in user, or undefined after sending the browser to the login page. */
  async login(req: IncomingMessage, res: ServerResponse): Promise<LoggedIn | undefined> {
    const login = await this.sessions.current(req);
    if (!login) redirect(res, `/hub/login?next=${encodeURIComponent(req.url ?? '/hub/home')}`, 302);
    return login;
  }

  /** The server a path names, if the viewer owns it or is an admin (404 for names that cannot exist). */
  server(login: LoggedIn, rawOwner: string, rawServer: string | undefined): { owner: string; serverName: string } {
    const owner = rawOwner;
    const serverName = rawServer ?? '';
    if (!UserName.safeParse(owner).success) throw new HubError(404, `There is no user ${owner}.`);
    if (!ServerName.safeParse(serverName).success) throw new HubError(404, `There is no server named ${serverName}.`);
    if (owner !== login.user.name && !login.user.admin) {
      throw new HubError(403, `This server belongs to ${owner}. Only its owner and the hub's admins can see it.`);
    }
    return { owner, serverName };
  }

  csrfOrFail(req: IncomingMessage): void {
    if (!this.sessions.csrfValid(req)) {
      throw new HubError(403, 'The form had expired (or came from another site). Reload the page and try again.');
    }
  }
}
