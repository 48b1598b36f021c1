import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { Config } from '@condorhub/config';
import type { Pool } from 'pg';
import { CONFIG, PG_POOL } from '@condorhub/runtime';
import { WEB_SETTINGS, type WebSettings } from '../../web/web-settings';
import { LoginRefused, normalizeUserName } from './login-refused';
import { checkPosixAccount } from './posix-account';
import { bindOidcIdentity, oidcIdentitiesOf } from '../../store/oidc-identities';

/** What the browser carries between the redirect to the provider and the way back. */
export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * OpenID Connect login (authorization code flow with PKCE, via openid-client). The provider's
 * metadata is discovered on first use and kept; a failed discovery is retried on the next login.
 */
@Injectable()
export class OidcAuthenticator {
  private readonly log = new Logger('hub');
  private configuration?: Promise<oidc.Configuration>;

  constructor(
    @Inject(WEB_SETTINGS) private readonly settings: WebSettings,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  get redirectUrl(): string {
    return this.settings.CONDORHUB_OIDC_REDIRECT_URL ?? `${this.config.CONDORHUB_PUBLIC_URL}/hub/oauth_callback`;
  }

  get issuer(): string | undefined {
    return this.settings.CONDORHUB_OIDC_ISSUER;
  }

  private discover(): Promise<oidc.Configuration> {
    const {
      CONDORHUB_OIDC_ISSUER: issuer,
      CONDORHUB_OIDC_CLIENT_ID: id,
      CONDORHUB_OIDC_CLIENT_SECRET: secret,
    } = this.settings;
    if (!issuer || !id || !secret) {
      return Promise.reject(
        new LoginRefused(
          'OpenID Connect is not configured: set CONDORHUB_OIDC_ISSUER, CONDORHUB_OIDC_CLIENT_ID and CONDORHUB_OIDC_CLIENT_SECRET.',
          500,
        ),
      );
    }
    if (!this.configuration) {
      const url = new URL(issuer);
      // Plain http only to a provider on this machine (development and tests).
      const insecure = url.protocol === 'http:' && LOOPBACK.test(url.hostname);
      this.configuration = oidc
        .discovery(url, id, undefined, oidc.ClientSecretPost(secret), {
          timeout: this.settings.CONDORHUB_OIDC_TIMEOUT_S,
          execute: insecure ? [oidc.allowInsecureRequests] : [],
        })
        .then((c) => {
          c.timeout = this.settings.CONDORHUB_OIDC_TIMEOUT_S;
          return c;
        });
      this.configuration.catch((error) => {
        this.log.warn(`OIDC discovery at ${issuer} failed: ${String(error?.message ?? error)}`);
        this.configuration = undefined;
      });
    }
    return this.configuration.catch((error) => {
      throw error instanceof LoginRefused
        ? error
        : new LoginRefused(
            `The identity provider did not answer (${String(error?.message ?? error)}). Try again.`,
            502,
          );
    });
  }

  /** The provider's authorization URL for this login, and what to remember until the way back. */
  async begin(next: string): Promise<{ url: string; pending: OidcPending }> {
    const c = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const pending: OidcPending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, next };
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: this.redirectUrl,
      scope: this.settings.CONDORHUB_OIDC_SCOPES,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * The user name from the provider's answer (the id token, else userinfo), once it passes the
   * allow-list, is a POSIX name that is no system account, and is this account's (see pin).
   */
  async complete(req: IncomingMessage, pending: OidcPending): Promise<string> {
    const c = await this.discover();
    const query = (req.url ?? '').split('?')[1] ?? '';
    const current = new URL(`${this.redirectUrl.split('?')[0]}?${query}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(c, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error: any) {
      const why = error?.error_description ?? error?.error ?? error?.message ?? String(error);
      throw new LoginRefused(`The identity provider did not confirm the login: ${why}`);
    }
    const claims = tokens.claims();
    if (!claims?.sub) throw new LoginRefused('The identity provider sent no subject (sub) for this account.');
    const claim = this.settings.CONDORHUB_OIDC_USERNAME_CLAIM;
    const groupsClaim = this.settings.CONDORHUB_OIDC_GROUPS_CLAIM;
    const wantGroups = this.settings.CONDORHUB_OIDC_ALLOWED_GROUPS.length > 0;
    let all: Record<string, unknown> = claims;
    if (claims[claim] === undefined || (wantGroups && claims[groupsClaim] === undefined)) {
      const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
      all = { ...info, ...claims };
    }
    const raw = all[claim];
    if (typeof raw !== 'string') throw new LoginRefused(`The identity provider sent no '${claim}' for this account.`);
    const name = normalizeUserName(raw);
    await checkPosixAccount(name, this.settings.CONDORHUB_MIN_UID);
    this.checkAllowed(name, all[groupsClaim]);
    await this.pin(name, claims.iss, claims.sub);
    return name;
  }

  /** With an allow-list set, the name must be on it or the account in one of the groups. */
  private checkAllowed(name: string, groups: unknown) {
    const users = this.settings.CONDORHUB_OIDC_ALLOWED_USERS;
    const allowedGroups = this.settings.CONDORHUB_OIDC_ALLOWED_GROUPS;
    if (!users.length && !allowedGroups.length) return;
    if (users.includes(name)) return;
    const mine = Array.isArray(groups) ? groups : typeof groups === 'string' ? [groups] : [];
    if (mine.some((g) => typeof g === 'string' && allowedGroups.includes(g))) return;
    throw new LoginRefused(`${name} is not allowed to use this hub. Ask the site's administrators for access.`);
  }

  /**
   * The first login of a name binds it to the provider's account (issuer + sub); afterwards only
   * that account gets the name, and that account no other name.
   */
  private async pin(name: string, issuer: string, subject: string) {
    const me = { userName: name, issuer, subject };
    await bindOidcIdentity(this.pool, me);
    const rows = await oidcIdentitiesOf(this.pool, me);
    for (const row of rows) {
      if (row.userName !== name) {
        throw new LoginRefused(
          `This account logged in before as ${row.userName}, and the provider now calls it ${name}. Ask the site's administrators to move it.`,
        );
      }
      if (row.issuer !== issuer || row.subject !== subject) {
        throw new LoginRefused(`The user name ${name} belongs to another account at the identity provider.`);
      }
    }
  }
}
