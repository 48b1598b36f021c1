/** Hub behaviour knobs that are not operator settings (those come from @condorhub/config). */
export interface HubOptions {
  /** How long a start request waits for ready before answering 202 (JupyterHub's slow_spawn_timeout). */
  slowSpawnMs: number;
  /** How long a stop request waits for the server to be gone before answering 202. */
  slowStopMs: number;
  /** Timeout of a command to the spawner over NATS. */
  commandTimeoutMs: number;
  /** Progress stream: keepalive comment interval (JupyterHub: 8 s). */
  keepaliveMs: number;
  /** Progress stream: re-read the store this often even without a NATS wake-up. */
  progressPollMs: number;
  /** Progress stream: close after this long whatever happens, so no stream lives forever. */
  progressMaxMs: number;
  /** Progress stream: after a failure that the spawner retries, how long to wait for the retry. */
  retryGraceMs: number;
  /** Largest JSON body accepted; larger ones get 413. */
  bodyLimitBytes: number;
}

export const HUB_OPTIONS = Symbol('condorhub.hub-options');

export const defaultHubOptions: HubOptions = {
  slowSpawnMs: 3_000,
  slowStopMs: 3_000,
  commandTimeoutMs: 5_000,
  keepaliveMs: 8_000,
  progressPollMs: 2_000,
  progressMaxMs: 30 * 60_000,
  retryGraceMs: 15_000,
  bodyLimitBytes: 64 * 1024,
};
