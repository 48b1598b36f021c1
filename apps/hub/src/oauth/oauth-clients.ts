import { UserName, ServerName, serverPrefix } from '@condorhub/contracts';
import { oauthClientId } from '@condorhub/tokens';

const PREFIX = 'jupyterhub-user-';

/**
 * The servers a client id can name. `jupyterhub-user-<user>[-<server>]` is ambiguous when names
 * hold '-' (user a-b, or user a with server b), so every split is a candidate; the caller keeps
 * the one with a live spawn.
 */
export function clientCandidates(clientId: unknown): { user: string; serverName: string }[] {
  if (typeof clientId !== 'string' || !clientId.startsWith(PREFIX) || clientId.length > 300) return [];
  const rest = clientId.slice(PREFIX.length);
  const out: { user: string; serverName: string }[] = [];
  const add = (u: string, s: string) => {
    try {
      const user = decodeURIComponent(u);
      const serverName = decodeURIComponent(s);
      if (
        UserName.safeParse(user).success &&
        ServerName.safeParse(serverName).success &&
        oauthClientId(user, serverName) === clientId
      ) {
        out.push({ user, serverName });
      }
    } catch {
      // not percent-decodable: not a candidate
    }
  };
  add(rest, '');
  for (let i = rest.indexOf('-'); i > 0; i = rest.indexOf('-', i + 1)) add(rest.slice(0, i), rest.slice(i + 1));
  return out;
}

/** The redirect URIs a server's client may use: its oauth_callback, relative or on the public URL. */
export function allowedRedirects(user: string, serverName: string, publicUrl: string): string[] {
  const path = `${serverPrefix(user, serverName)}oauth_callback`;
  return [path, `${publicUrl.replace(/\/$/, '')}${path}`];
}
