import type { Migration } from './migration';

// A group holds the stream rows its earlier items locked until it commits. One item waiting on
// a row another transaction holds (a saga's, a timer's) would hold back every other append in
// its group, and their callers, for as long as that transaction runs, or fail them all with the
// statement's timeout. So in a group a lock is waited for at most 100 ms: the item is then
// rolled back and returned as 55P03, and the caller's process sends it again alone, where it
// waits as any lone append does. Later items of the same stream in the group are handed back
// the same way without being tried, so one stream's appends keep their arrival order.
export const groupedAppendLockTimeout: Migration = {
  id: '009_grouped_append_lock_timeout',
  sql: `
CREATE OR REPLACE FUNCTION append_events_grouped(p_items jsonb)
RETURNS TABLE (
  ord int, next_version bigint, last_position bigint, tx_id xid8,
  err_code text, err_detail text, err_constraint text, err_message text
)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_item jsonb;
  v_handed_back text[] := '{}';
BEGIN
  -- Local to this statement's own transaction: a group is never sent inside a caller's.
  PERFORM set_config('lock_timeout', '100ms', true);
  ord := 0;
  FOR v_item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    err_code := NULL; err_detail := NULL; err_constraint := NULL; err_message := NULL;
    next_version := NULL; last_position := NULL; tx_id := NULL;
    IF v_item->>'s' = ANY (v_handed_back) THEN
      err_code := '55P03';
      err_message := 'an earlier append to this stream in the group waited too long';
    ELSE
      BEGIN
        SELECT a.next_version, a.last_position, a.tx_id INTO next_version, last_position, tx_id
          FROM append_events(
            v_item->>'s', v_item->>'c', (v_item->>'e')::bigint, v_item->'ev', v_item->'m',
            CASE WHEN v_item ? 't' THEN ARRAY(SELECT jsonb_array_elements_text(v_item->'t')) END
          ) a;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, err_detail = PG_EXCEPTION_DETAIL,
          err_constraint = CONSTRAINT_NAME, err_message = MESSAGE_TEXT;
        IF err_code IN ('55P03', '40P01', '40001') THEN
          v_handed_back := v_handed_back || (v_item->>'s');
        END IF;
      END;
    END IF;
    RETURN NEXT;
    ord := ord + 1;
  END LOOP;
END
$fn$;
`,
};
