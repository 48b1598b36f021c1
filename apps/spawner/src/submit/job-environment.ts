import { serverPrefix } from '@condorhub/contracts';
import { oauthClientId } from '@condorhub/tokens';

export interface JobEnvironmentInput {
  user: string;
  serverName: string;
  /** The launcher's one-time credential (launcher-bootstrap.ts); never the API token itself. */
  bootstrap: string;
  /** What browsers use (JUPYTERHUB_PUBLIC_URL). */
  publicUrl: string;
  /** Where the job reaches the proxy for the hub API; default publicUrl. */
  hubUrl?: string;
  cpus?: number;
  memoryMb?: number;
}

/**
 * The notebook's environment, as JupyterHub's Spawner.get_env builds it (less the API token,
 * which the launcher fetches and adds), so a stock
 * jupyterhub-singleuser (3.x–5.x) talks to condorhub unchanged. The hub's API is reached
 * through the proxy (its public URL unless the workers reach it elsewhere): the only address
 * a worker needs.
 */
export function jobEnvironment(i: JobEnvironmentInput): Record<string, string> {
  const prefix = serverPrefix(i.user, i.serverName);
  const apiUrl = `${i.hubUrl ?? i.publicUrl}/hub/api`;
  const scopes = JSON.stringify([`access:servers!server=${i.user}/${i.serverName}`, `access:servers!user=${i.user}`]);
  const env: Record<string, string> = {
    // No JUPYTERHUB_API_TOKEN: the environment is stored in the job ad, which every pool user
    // may read. The launcher exchanges this for the token and gives it to the notebook itself.
    CONDORHUB_LAUNCHER_BOOTSTRAP: i.bootstrap,
    JUPYTERHUB_CLIENT_ID: oauthClientId(i.user, i.serverName),
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${prefix}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_USER: i.user,
    JUPYTERHUB_SERVER_NAME: i.serverName,
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${apiUrl}/users/${encodeURIComponent(i.user)}/activity`,
    JUPYTERHUB_BASE_URL: '/',
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    // Port 0: the launcher picks a free port on the worker and reports it (batchspawner's way).
    JUPYTERHUB_SERVICE_URL: `http://0.0.0.0:0${prefix}`,
    JUPYTERHUB_PUBLIC_URL: i.publicUrl,
    JUPYTERHUB_PUBLIC_HUB_URL: `${i.publicUrl}/hub/`,
    JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0',
  };
  if (i.cpus) env.CPU_LIMIT = String(i.cpus);
  if (i.memoryMb) env.MEM_LIMIT = String(i.memoryMb * 1024 * 1024);
  return env;
}
