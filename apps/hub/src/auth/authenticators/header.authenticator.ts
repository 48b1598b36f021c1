import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { type TrustedProxies, normaliseAddress, trustedSet } from '@condorhub/runtime';
import { WEB_SETTINGS, type WebSettings } from '../../web/web-settings';
import { LoginRefused, normalizeUserName } from './login-refused';
import { checkPosixAccount } from './posix-account';

/**
 * A trusted front end (Apache, nginx, a Shibboleth SP) authenticates and passes the user name in
 * a header. Anyone can send that header, so it counts only from the configured addresses.
 */
@Injectable()
export class HeaderAuthenticator {
  private readonly isTrusted: TrustedProxies;
  private readonly empty: boolean;
  readonly header: string;
  private readonly minUid: number;

  constructor(@Inject(WEB_SETTINGS) settings: WebSettings) {
    this.header = settings.CONDORHUB_HEADER_NAME.toLowerCase();
    this.minUid = settings.CONDORHUB_MIN_UID;
    this.empty = settings.CONDORHUB_HEADER_TRUSTED.length === 0;
    this.isTrusted = trustedSet(settings.CONDORHUB_HEADER_TRUSTED, 'CONDORHUB_HEADER_TRUSTED');
  }

  /**
   * The user the front end names, undefined when it names none; refused unless it came from the
   * front end. Through condorhub's proxy the peer is the proxy, so the last X-Forwarded-For hop
   * (who connected to the proxy; the proxy appends it) must be trusted as well. Earlier hops
   * are the client's own words and prove nothing.
   */
  async identify(req: IncomingMessage): Promise<string | undefined> {
    const raw = req.headers[this.header];
    if (raw === undefined) return undefined;
    if (this.empty) {
      throw new LoginRefused(
        `Header login is not set up: the hub's admins must list the front end's addresses in CONDORHUB_HEADER_TRUSTED.`,
        500,
      );
    }
    const peer = normaliseAddress(req.socket.remoteAddress);
    const xff = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const hops = xff.length ? [peer, normaliseAddress(xff[xff.length - 1])] : [peer];
    const untrusted = hops.find((a) => !this.isTrusted(a));
    if (untrusted !== undefined) {
      throw new LoginRefused(
        `The ${this.header} header is only accepted from the site's front end, not from ${untrusted || 'an unknown address'}.`,
      );
    }
    if (Array.isArray(raw)) throw new LoginRefused(`More than one ${this.header} header.`, 400);
    const name = normalizeUserName(raw);
    // The notebook runs as this POSIX user, whoever vouched for the name: never root or a system account.
    await checkPosixAccount(name, this.minUid);
    return name;
  }
}
