import type { Migration } from './migration';

// One append per round trip with the least work on both sides: the events travel as one JSON
// array (one encoding in Node, one parse here, instead of five escaped array literals), the
// metadata once, and the timers to disarm in the same call. The stream row is locked and bumped
// by a single statement (an INSERT for a new stream, an UPDATE … RETURNING otherwise) instead of
// INSERT … ON CONFLICT, SELECT … FOR UPDATE and UPDATE. No NOTIFY here: see notify-appended.ts.
export const appendEvents: Migration = {
  id: '007_append_events',
  sql: `
CREATE FUNCTION append_events(
  p_stream_id text, p_category text, p_expected bigint, p_events jsonb, p_metadata jsonb,
  p_cancel_timers text[]
) RETURNS TABLE (next_version bigint, last_position bigint, tx_id xid8)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count int := jsonb_array_length(p_events);
  v_current bigint;
BEGIN
  -- p_expected: >= 0 exact version, -1 any, -2 no stream, -3 stream exists
  LOOP
    IF p_expected <> -2 THEN
      -- The row lock serialises writers of one stream; RETURNING sees the winner's version.
      UPDATE streams SET version = version + v_count, updated_at = now() WHERE stream_id = p_stream_id
        RETURNING version - v_count INTO v_current;
      EXIT WHEN FOUND;
      IF p_expected > 0 OR p_expected = -3 THEN
        RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'CH409', DETAIL = '0';
      END IF;
    END IF;
    INSERT INTO streams (stream_id, category, version) VALUES (p_stream_id, p_category, v_count)
      ON CONFLICT (stream_id) DO NOTHING;
    IF FOUND THEN
      v_current := 0;
      EXIT;
    END IF;
    -- Created meanwhile by another writer (who committed): no_stream fails, the others retry.
    IF p_expected = -2 THEN
      SELECT s.version INTO v_current FROM streams s WHERE s.stream_id = p_stream_id;
      RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'CH409', DETAIL = v_current::text;
    END IF;
  END LOOP;
  IF (p_expected >= 0 AND v_current <> p_expected) OR (p_expected = -3 AND v_current = 0) THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'CH409', DETAIL = v_current::text;
  END IF;
  RETURN QUERY
  WITH inserted AS (
    INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT p_stream_id, v_current + x.ord, x.id, x.type, x.v, x.data, p_metadata
      FROM ROWS FROM (jsonb_to_recordset(p_events) AS (id uuid, type text, v int, data jsonb))
           WITH ORDINALITY AS x(id, type, v, data, ord)
     ORDER BY x.ord
    RETURNING global_position
  )
  SELECT v_current + v_count, max(i.global_position), pg_current_xact_id() FROM inserted i;
  IF cardinality(p_cancel_timers) > 0 THEN
    DELETE FROM scheduled_messages WHERE timer_key = ANY (p_cancel_timers) AND fired_at IS NULL;
  END IF;
END
$fn$;
`,
};
