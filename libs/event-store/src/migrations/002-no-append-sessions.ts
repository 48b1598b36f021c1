import type { Migration } from './migration';
import { NO_APPEND_MARK } from '../no-append';

// Enforces the promise readers rely on (see read-horizon.ts): a session marked no-append
// cannot insert events, so ignoring its open transactions never skips one.
export const noAppendSessions: Migration = {
  id: '002_no_append_sessions',
  sql: `
CREATE FUNCTION events_refuse_no_append_sessions() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('application_name') LIKE '%${NO_APPEND_MARK}' THEN
    RAISE EXCEPTION 'session % promised not to append events', current_setting('application_name')
      USING ERRCODE = 'CH403';
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER events_no_append_sessions BEFORE INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_no_append_sessions();
`,
};
