import type { Migration } from './migration';

// An append and the timers its decision disarms, as one statement: a decision is stored in one
// round trip to the database instead of BEGIN, append, each cancel and COMMIT (every round trip
// waits for a CPU twice on a loaded machine). The stream lock is taken first, as every writer.
export const appendAndCancelTimers: Migration = {
  id: '004_append_and_cancel_timers',
  sql: `
CREATE FUNCTION append_and_cancel_timers(
  p_stream_id text, p_category text, p_expected bigint,
  p_event_ids uuid[], p_types text[], p_schema_versions int[], p_data jsonb[], p_metadata jsonb[],
  p_cancel_timers text[]
) RETURNS TABLE (next_version bigint, last_position bigint, tx_id xid8)
LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN QUERY SELECT * FROM append_to_stream(
    p_stream_id, p_category, p_expected, p_event_ids, p_types, p_schema_versions, p_data, p_metadata);
  DELETE FROM scheduled_messages WHERE timer_key = ANY (p_cancel_timers) AND fired_at IS NULL;
END
$fn$;
`,
};
