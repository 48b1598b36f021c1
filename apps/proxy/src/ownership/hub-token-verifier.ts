/**
 * What an API token may do, as the hub says: `GET /hub/api/user` with the token answers its
 * expanded scopes (JupyterHub's HubAuth asks the same question). The proxy cannot judge a token
 * itself (tokens, their owners' rights and the scope rules live in the hub), so it asks, caches
 * the answer briefly, and treats any token the hub did not vouch for as no token at all.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface HubTokenVerifierOptions {
  /** How long a token's scopes are trusted without asking again. Default 60 s. */
  cacheMs?: number;
  /** How long a refused token stays refused without asking again. Default 10 s. */
  refusedCacheMs?: number;
  /** Time allowed for the hub's answer. Default 5000 ms. */
  timeoutMs?: number;
  /** Lookups in flight at once; beyond that a token is not checked (refused). Default 64. */
  maxInFlight?: number;
  maxCached?: number;
}

/** A token's scopes, or undefined when the hub does not know it (unknown, revoked, expired). */
export type TokenScopes = ReadonlySet<string> | undefined;

interface Entry {
  scopes: TokenScopes;
  until: number;
}

export class HubTokenVerifier {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<TokenScopes>>();
  private readonly cacheMs: number;
  private readonly refusedCacheMs: number;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxCached: number;
  /** Lookups sent to the hub (tests and metrics). */
  lookups = 0;

  constructor(hubUrl: string, options: HubTokenVerifierOptions = {}) {
    this.url = new URL('/hub/api/user', hubUrl);
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxFreeSockets: 8 })
        : new http.Agent({ keepAlive: true, maxFreeSockets: 8 });
    this.cacheMs = options.cacheMs ?? 60_000;
    this.refusedCacheMs = options.refusedCacheMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.maxCached = options.maxCached ?? 10_000;
  }

  /** The token's scopes: at once when cached, else once the hub answers. Rejects when the hub cannot be asked. */
  scopes(token: string): TokenScopes | Promise<TokenScopes> {
    if (token.length > 256) return undefined;
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.until > Date.now()) return hit.scopes;
      this.cache.delete(token);
    }
    const pending = this.inFlight.get(token);
    if (pending) return pending;
    if (this.inFlight.size >= this.maxInFlight) return Promise.reject(new Error('too many token lookups in flight'));
    const lookup = this.ask(token).then(
      (scopes) => {
        this.inFlight.delete(token);
        if (this.cache.size >= this.maxCached) this.cache.clear();
        this.cache.set(token, { scopes, until: Date.now() + (scopes ? this.cacheMs : this.refusedCacheMs) });
        return scopes;
      },
      (error: unknown) => {
        // Not cached: the next request asks again.
        this.inFlight.delete(token);
        throw error;
      },
    );
    this.inFlight.set(token, lookup);
    return lookup;
  }

  close(): void {
    this.agent.destroy();
  }

  private ask(token: string): Promise<TokenScopes> {
    this.lookups++;
    const client = this.url.protocol === 'https:' ? https : http;
    return new Promise<TokenScopes>((resolve, reject) => {
      const req = client.get(
        this.url,
        { agent: this.agent, headers: { authorization: `token ${token}`, accept: 'application/json' } },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status === 401 || status === 403 || status === 404) {
            res.resume();
            resolve(undefined);
            return;
          }
          if (status !== 200) {
            res.resume();
            reject(new Error(`the hub answered ${status} to a token lookup`));
            return;
          }
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.length > 1_000_000) req.destroy(new Error('token lookup answer too large'));
          });
          res.on('end', () => {
            try {
              const scopes = (JSON.parse(body) as { scopes?: unknown }).scopes;
              resolve(
                Array.isArray(scopes) ? new Set(scopes.filter((s): s is string => typeof s === 'string')) : undefined,
              );
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error('the hub did not answer a token lookup in time')));
      req.on('error', reject);
    });
  }
}

/** JupyterHub's rule for reaching a server: `access:servers`, on all, on the user, or on that server. */
export function grantsAccess(scopes: TokenScopes, owner: string, serverName: string | undefined): boolean {
  if (!scopes) return false;
  if (scopes.has('access:servers') || scopes.has(`access:servers!user=${owner}`)) return true;
  if (serverName !== undefined) return scopes.has(`access:servers!server=${owner}/${serverName}`);
  // No route, so no known server: any of the owner's servers (the answer is "not running" either way).
  const prefix = `access:servers!server=${owner}/`;
  for (const s of scopes) if (s.startsWith(prefix)) return true;
  return false;
}
