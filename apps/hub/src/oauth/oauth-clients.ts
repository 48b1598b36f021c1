import { UserName, ServerName, serverPrefix } from '@condorhub/contracts';
import { oauthClientId } from '@condorhub/tokens';

const PREFIX = 'jupyterhub-user-';

/**
 * The server a client id names, or undefined. Each server has exactly one id (see
 * oauthClientId: `~` cannot occur in a name), so the parse is checked by forming the id again.
 */
export function parseClientId(clientId: unknown): { user: string; serverName: string } | undefined {
  if (typeof clientId !== 'string' || !clientId.startsWith(PREFIX) || clientId.length > 300) return undefined;
  const parts = clientId.slice(PREFIX.length).split('~');
  if (parts.length > 2) return undefined;
  try {
    const user = decodeURIComponent(parts[0]);
    const serverName = parts.length === 2 ? decodeURIComponent(parts[1]) : '';
    if (parts.length === 2 && !serverName) return undefined;
    if (!UserName.safeParse(user).success || !ServerName.safeParse(serverName).success) return undefined;
    return oauthClientId(user, serverName) === clientId ? { user, serverName } : undefined;
  } catch {
    return undefined; // not percent-decodable
  }
}

/** The redirect URIs a server's client may use: its oauth_callback, relative or on the public URL. */
export function allowedRedirects(user: string, serverName: string, publicUrl: string): string[] {
  const path = `${serverPrefix(user, serverName)}oauth_callback`;
  return [path, `${publicUrl.replace(/\/$/, '')}${path}`];
}
