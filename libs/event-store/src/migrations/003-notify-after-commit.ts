import type { Migration } from './migration';

// append_to_stream without its pg_notify: appendToStream notifies after the commit instead
// (sql/notify-appended.ts), so appends no longer queue on the database-wide notify lock.
export const notifyAfterCommit: Migration = {
  id: '003_notify_after_commit',
  sql: `
CREATE OR REPLACE FUNCTION append_to_stream(
  p_stream_id text, p_category text, p_expected bigint,
  p_event_ids uuid[], p_types text[], p_schema_versions int[], p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (next_version bigint, last_position bigint, tx_id xid8)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_current bigint;
  v_count int := cardinality(p_types);
BEGIN
  INSERT INTO streams (stream_id, category, version) VALUES (p_stream_id, p_category, 0)
    ON CONFLICT (stream_id) DO NOTHING;
  -- The row lock serialises writers of one stream; the check below then sees the winner.
  SELECT s.version INTO v_current FROM streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
  -- p_expected: >= 0 exact version, -1 any, -2 no stream, -3 stream exists
  IF (p_expected >= 0 AND v_current <> p_expected)
     OR (p_expected = -2 AND v_current <> 0)
     OR (p_expected = -3 AND v_current = 0) THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'CH409', DETAIL = v_current::text;
  END IF;
  UPDATE streams SET version = v_current + v_count, updated_at = now() WHERE stream_id = p_stream_id;
  RETURN QUERY
  WITH inserted AS (
    INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT p_stream_id, v_current + x.ord, x.id, x.type, x.ver, x.data, x.meta
    FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata)
      WITH ORDINALITY AS x(id, type, ver, data, meta, ord)
    RETURNING global_position
  )
  SELECT v_current + v_count, max(i.global_position), pg_current_xact_id() FROM inserted i;
END
$fn$;
`,
};
