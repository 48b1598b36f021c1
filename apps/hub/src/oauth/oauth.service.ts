import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@condorhub/config';
import { CONFIG } from '@condorhub/runtime';
import { isActive } from '@condorhub/server-lifecycle';
import { issueToken, oauthClientId, verifyToken } from '@condorhub/tokens';
import { HubStore } from '../store/hub-store';
import { WEB_SETTINGS, type WebSettings } from '../web/web-settings';
import { allowedRedirects, parseClientId } from './oauth-clients';
import { OAuthStore } from './oauth-store';

/** How long an authorization code lives: the browser uses it within a second or two. */
export const CODE_TTL_S = 120;

export interface OAuthClient {
  clientId: string;
  user: string;
  serverName: string;
  spawnId: string;
}

/** An OAuth error as RFC 6749 §5.2 writes it. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export interface AuthorizeRequest {
  client: OAuthClient;
  redirectUri: string;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
}

const CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * JupyterHub's OAuth2 provider for notebooks: each server is a client (`jupyterhub-user-…`),
 * its secret is the server's own API token, and its only redirect is its `oauth_callback`.
 */
@Injectable()
export class OAuthService {
  constructor(
    @Inject(OAuthStore) private readonly codes: OAuthStore,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(WEB_SETTINGS) private readonly settings: WebSettings,
  ) {}

  /** The client of a live server, or undefined: a stopped server has no client. */
  async client(clientId: unknown): Promise<OAuthClient | undefined> {
    const c = parseClientId(clientId);
    if (!c) return undefined;
    const state = await this.store.server(c.user, c.serverName);
    if (state.spawnId && isActive(state)) return { clientId: clientId as string, ...c, spawnId: state.spawnId };
    return undefined;
  }

  /** Validates an authorize request's parameters; throws OAuthError with a sentence for the page. */
  async parseAuthorize(q: Record<string, unknown>): Promise<AuthorizeRequest> {
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    const clientId = str('client_id');
    if (!clientId) throw new OAuthError(400, 'invalid_request', 'client_id is missing');
    const client = await this.client(clientId);
    if (!client) throw new OAuthError(400, 'invalid_client', `No running server has the OAuth client ${clientId}`);
    const redirectUri = str('redirect_uri');
    const allowed = allowedRedirects(client.user, client.serverName, this.config.CONDORHUB_PUBLIC_URL);
    // Never redirect to an address that is not the client's: that would hand the code to anyone.
    if (!redirectUri || !allowed.includes(redirectUri)) {
      throw new OAuthError(400, 'invalid_request', `redirect_uri must be ${allowed[0]} for ${clientId}`);
    }
    if (str('response_type') !== 'code')
      throw new OAuthError(400, 'unsupported_response_type', 'response_type must be code');
    const state = str('state');
    if (state !== undefined && state.length > 2000) throw new OAuthError(400, 'invalid_request', 'state is too long');
    const codeChallenge = str('code_challenge');
    let codeChallengeMethod: 'S256' | 'plain' | undefined;
    if (codeChallenge !== undefined) {
      if (!CHALLENGE.test(codeChallenge)) throw new OAuthError(400, 'invalid_request', 'code_challenge is malformed');
      const m = str('code_challenge_method') ?? 'plain';
      if (m !== 'S256' && m !== 'plain') {
        throw new OAuthError(400, 'invalid_request', 'code_challenge_method must be S256 or plain');
      }
      codeChallengeMethod = m;
    }
    return { client, redirectUri, state, codeChallenge, codeChallengeMethod };
  }

  /** A code for `userName` (the owner or an admin: the caller checked) and where to send it. */
  async authorize(a: AuthorizeRequest, userName: string): Promise<string> {
    const code = await this.codes.createCode(
      {
        clientId: a.client.clientId,
        userName,
        owner: a.client.user,
        serverName: a.client.serverName,
        spawnId: a.client.spawnId,
        redirectUri: a.redirectUri,
        codeChallenge: a.codeChallenge ?? null,
        codeChallengeMethod: a.codeChallengeMethod ?? null,
      },
      CODE_TTL_S,
    );
    const params = new URLSearchParams({ code });
    if (a.state !== undefined) params.set('state', a.state);
    return `${a.redirectUri}${a.redirectUri.includes('?') ? '&' : '?'}${params}`;
  }

  /** POST /hub/api/oauth2/token, grant_type=authorization_code. */
  async token(body: Record<string, unknown>, basicAuth: { id: string; secret: string } | undefined) {
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const grant = str('grant_type');
    if (grant !== 'authorization_code') {
      throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code');
    }
    const clientId = basicAuth?.id ?? str('client_id');
    const secret = basicAuth?.secret ?? str('client_secret');
    const code = str('code');
    const redirectUri = str('redirect_uri');
    if (!clientId || !secret) throw new OAuthError(401, 'invalid_client', 'client_id and client_secret are required');
    if (!code) throw new OAuthError(400, 'invalid_request', 'code is missing');
    if (!redirectUri) throw new OAuthError(400, 'invalid_request', 'redirect_uri is missing');

    // The client first: a stranger must not be able to burn someone's code.
    const client = await this.client(clientId);
    const record = client ? await verifyToken(this.store.pool, secret) : undefined;
    if (
      !client ||
      !record ||
      record.kind !== 'server' ||
      record.spawnId !== client.spawnId ||
      oauthClientId(record.owner, record.serverName ?? '') !== clientId
    ) {
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed');
    }

    const found = await this.codes.consume(code);
    if (found === 'reused') throw new OAuthError(400, 'invalid_grant', 'The code has already been used');
    if (!found || found.expired) throw new OAuthError(400, 'invalid_grant', 'The code is unknown or expired');
    if (found.clientId !== clientId || found.spawnId !== client.spawnId) {
      throw new OAuthError(400, 'invalid_grant', 'The code was issued to another client');
    }
    if (found.redirectUri !== redirectUri) {
      throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    }
    const verifier = str('code_verifier');
    if (found.codeChallenge) {
      if (!verifier || verifier.length > 128) throw new OAuthError(400, 'invalid_grant', 'code_verifier is required');
      const computed =
        found.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!sameText(computed, found.codeChallenge))
        throw new OAuthError(400, 'invalid_grant', 'code_verifier does not match');
    } else if (verifier !== undefined) {
      throw new OAuthError(400, 'invalid_grant', 'code_verifier sent but no code_challenge was');
    }

    const scopes = [
      `access:servers!server=${found.owner}/${found.serverName}`,
      `read:users:name!user=${found.userName}`,
      `read:users:groups!user=${found.userName}`,
    ];
    const expiresIn = this.settings.CONDORHUB_SESSION_MAX_AGE_S;
    const token = await issueToken(this.store.pool, {
      owner: found.userName,
      kind: 'oauth',
      // Tied to the spawn: revoked with the server's other tokens when it stops.
      spawnId: found.spawnId,
      serverName: found.serverName,
      clientId,
      scopes,
      note: `oauth token for ${clientId}`,
      expiresInS: expiresIn,
    });
    await this.codes.recordToken(code, token);
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
  }
}
