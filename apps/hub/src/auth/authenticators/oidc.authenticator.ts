import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { WEB_SETTINGS, type WebSettings } from '../../web/web-settings';
import { LoginRefused, normalizeUserName } from './login-refused';

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

  /** The user name from the provider's answer (the id token, else userinfo). */
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
    const claim = this.settings.CONDORHUB_OIDC_USERNAME_CLAIM;
    let name = claims?.[claim];
    if (name === undefined && claims?.sub) {
      const info = await oidc.fetchUserInfo(c, tokens.access_token, claims.sub);
      name = info[claim];
    }
    if (typeof name !== 'string') throw new LoginRefused(`The identity provider sent no '${claim}' for this account.`);
    return normalizeUserName(name);
  }
}
