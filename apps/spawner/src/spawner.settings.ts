import path from 'node:path';
import { type Config, condorClientOptions } from '@condorhub/config';
import type { CondorClientConfig } from '@condorhub/condor';
import { type LifecycleSettings, lifecycleSettings } from '@condorhub/server-lifecycle';

export interface SpawnerSettings {
  lifecycle: LifecycleSettings;
  /** What browsers use: the proxy's public URL. */
  publicUrl: string;
  /** Where jobs on the workers reach the proxy (CONDORHUB_JOB_HUB_URL, default publicUrl). */
  jobHubUrl?: string;
  /** The job's executable on the worker. */
  launcher: string;
  notebookCommand: string[];
  jupyterhubVersion: string;
  quarantineStrikes: number;
  quarantineWindowS: number;
  quarantineMinUsers: number;
  condor: CondorClientConfig;
  /** How many times a failed condor_rm is retried in the background. */
  removalAttempts: number;
  /** condor_submit attempts for one spawn when the schedd does not answer (rejections are final). */
  submitAttempts: number;
}

const repoRoot = path.resolve(__dirname, '../../..');

export function spawnerSettings(config: Config): SpawnerSettings {
  return {
    lifecycle: lifecycleSettings(config),
    publicUrl: config.CONDORHUB_PUBLIC_URL.replace(/\/$/, ''),
    jobHubUrl: (config.CONDORHUB_JOB_HUB_URL ?? config.CONDORHUB_PUBLIC_URL).replace(/\/$/, ''),
    launcher: config.CONDORHUB_LAUNCHER ?? path.join(repoRoot, 'apps/launcher/condorhub_launcher.py'),
    notebookCommand: config.CONDORHUB_NOTEBOOK_CMD.split(/\s+/).filter(Boolean),
    jupyterhubVersion: config.CONDORHUB_JUPYTERHUB_VERSION,
    quarantineStrikes: config.CONDORHUB_QUARANTINE_STRIKES,
    quarantineWindowS: config.CONDORHUB_QUARANTINE_WINDOW_S,
    quarantineMinUsers: config.CONDORHUB_QUARANTINE_MIN_USERS,
    condor: condorClientOptions(config),
    removalAttempts: 5,
    submitAttempts: 3,
  };
}
