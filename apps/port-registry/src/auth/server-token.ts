import type { Pool } from 'pg';
import { type TokenRecord, verifyToken } from '@condorhub/tokens';

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The token as JupyterHub's HubAuth sends it: `Authorization: token|bearer X`, or `?token=`. */
export function presentedToken(authorization: string | undefined, query: unknown): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '');
  if (m) return m[1];
  const q = (query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && q ? q : undefined;
}

/** A live server token, or the status a caller gets: 401 none/unknown, 403 not a server's token. */
export async function requireServerToken(pool: Pool, token: string | undefined): Promise<TokenRecord> {
  if (!token) throw new RegistryError(401, 'missing token: send Authorization: token <JUPYTERHUB_API_TOKEN>');
  const record = await verifyToken(pool, token);
  if (!record) throw new RegistryError(401, 'invalid, expired or revoked token');
  if (record.kind !== 'server' || !record.spawnId) throw new RegistryError(403, 'not a server token');
  return record;
}
