import type { IncomingMessage } from 'node:http';

/** Who a request acts as, and what it may do. */
export interface Principal {
  /** `admin-token`: CONDORHUB_ADMIN_TOKEN (like a JupyterHub service with the admin role). */
  kind: 'admin-token' | 'user' | 'server' | 'oauth' | 'session';
  /** The user the credential belongs to; undefined for the admin token. */
  user?: string;
  /** For a server's own token: which server. */
  serverName?: string;
  /** Expanded scopes (JupyterHub's format, as /hub/api/user reports them). */
  scopes: string[];
  tokenId?: string;
  sessionId: string | null;
}

/**
 * One way of recognising a caller. The hub tries them in order; the first that recognises the
 * request wins. Tokens today; a session cookie (the proxy's `condorhub-session`) slots in here
 * when the browser login lands.
 */
export interface Authenticator {
  /** undefined: this authenticator does not apply; 'invalid': it applies and refuses. */
  authenticate(req: IncomingMessage): Promise<Principal | 'invalid' | undefined>;
}

export const HUB_AUTHENTICATORS = Symbol('condorhub.hub-authenticators');
