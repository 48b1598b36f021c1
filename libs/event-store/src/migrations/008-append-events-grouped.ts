import type { Migration } from './migration';

// Several appends from one process in one round trip and one commit (group commit, see
// sql/append-grouped.ts). Each item runs append_events in its own subtransaction (the
// EXCEPTION block), so one item's wrong version or duplicate id rolls back that item only and is
// returned as its result; the others commit together. The caller sends at most 32 items, below
// PostgreSQL's 64 cached subtransaction ids per backend (past that every snapshot in the
// database gets slower).
export const appendEventsGrouped: Migration = {
  id: '008_append_events_grouped',
  sql: `
CREATE FUNCTION append_events_grouped(p_items jsonb)
RETURNS TABLE (
  ord int, next_version bigint, last_position bigint, tx_id xid8,
  err_code text, err_detail text, err_constraint text, err_message text
)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_item jsonb;
BEGIN
  ord := 0;
  FOR v_item IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    err_code := NULL; err_detail := NULL; err_constraint := NULL; err_message := NULL;
    next_version := NULL; last_position := NULL; tx_id := NULL;
    BEGIN
      SELECT a.next_version, a.last_position, a.tx_id INTO next_version, last_position, tx_id
        FROM append_events(
          v_item->>'s', v_item->>'c', (v_item->>'e')::bigint, v_item->'ev', v_item->'m',
          CASE WHEN v_item ? 't' THEN ARRAY(SELECT jsonb_array_elements_text(v_item->'t')) END
        ) a;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err_code = RETURNED_SQLSTATE, err_detail = PG_EXCEPTION_DETAIL,
        err_constraint = CONSTRAINT_NAME, err_message = MESSAGE_TEXT;
    END;
    RETURN NEXT;
    ord := ord + 1;
  END LOOP;
END
$fn$;
`,
};
