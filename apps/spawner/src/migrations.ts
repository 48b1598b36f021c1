import type { Migration } from '@condorhub/event-store';

// A submit in flight is recorded before condor_submit runs: after a crash the spawner looks
// the job up by CondorhubSpawnId instead of submitting a second one.
export const spawnerSchema: Migration = {
  id: '400_spawner',
  sql: `
CREATE TABLE spawner_submissions (
  spawn_id uuid PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  job_id text
);
`,
};
export const spawnerMigrations = [spawnerSchema];
