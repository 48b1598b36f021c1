import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG, type TrustedProxies, clientAddress, trustedSet } from '@condorhub/runtime';
import { HubError } from './hub-error';
import { RateLimiter } from './rate-limit';

/** A refused attempt: 429, with Retry-After already on the response. */
export class TooManyAttempts extends HubError {
  constructor(readonly retryAfterS: number) {
    super(429, `Too many attempts; try again in ${retryAfterS} s.`);
  }
}

/**
 * Limits on the endpoints that check a secret (login, the OAuth token exchange, token creation)
 * so that no one can guess passwords, codes or tokens at speed: failed attempts per client
 * address and per user name, in this process (each hub replica counts its own).
 */
@Injectable()
export class AuthRateLimits {
  private readonly byAddress: RateLimiter;
  private readonly byName: RateLimiter;
  private readonly proxies: TrustedProxies;

  constructor(@Inject(CONFIG) config: Config) {
    const windowMs = config.CONDORHUB_AUTH_RATE_WINDOW_S * 1000;
    this.byAddress = new RateLimiter(config.CONDORHUB_AUTH_RATE_PER_ADDRESS, windowMs);
    this.byName = new RateLimiter(config.CONDORHUB_AUTH_RATE_PER_NAME, windowMs);
    this.proxies = trustedSet(config.CONDORHUB_TRUSTED_PROXIES);
  }

  /**
   * Counts one attempt of `endpoint` from this request's client, for `name` when the request
   * names one (a user, an OAuth client); throws TooManyAttempts over either limit. Call the
   * returned `succeeded` once the attempt proved its secret: only failures are held against a
   * client, so a class logging in together or an admin's script is not slowed.
   */
  check(req: IncomingMessage, res: ServerResponse, endpoint: string, name?: unknown): { succeeded: () => void } {
    const addressKey = `${endpoint} ${clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.proxies)}`;
    const nameKey = typeof name === 'string' && name ? `${endpoint} ${name.trim().toLowerCase().slice(0, 300)}` : '';
    const address = this.byAddress.take(addressKey);
    const named = nameKey ? this.byName.take(nameKey) : ({ ok: true } as const);
    const refused = !address.ok ? address : !named.ok ? named : undefined;
    if (refused) {
      res.setHeader('Retry-After', String(refused.retryAfterS));
      throw new TooManyAttempts(refused.retryAfterS);
    }
    return {
      succeeded: () => {
        this.byAddress.refund(addressKey);
        if (nameKey) this.byName.refund(nameKey);
      },
    };
  }
}
