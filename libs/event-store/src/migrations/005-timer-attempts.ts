import type { Migration } from './migration';

// A timer that cannot fire (its payload no longer parses, its stream refuses it, …) is put off
// and tried again a few times, then set aside with its error, instead of blocking the others.
export const timerAttempts: Migration = {
  id: '005_timer_attempts',
  sql: `
ALTER TABLE scheduled_messages
  ADD COLUMN attempts   int NOT NULL DEFAULT 0,
  ADD COLUMN last_error text,
  ADD COLUMN failed_at  timestamptz;
`,
};
