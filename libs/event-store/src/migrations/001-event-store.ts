import type { Migration } from './migration';

// Shape after Emmett's store: a streams table for the version check, an events table whose
// transaction id (xid8) lets readers never skip a late-committing append.
export const eventStoreSchema: Migration = {
  id: '001_event_store',
  sql: `
CREATE TABLE streams (
  stream_id   text PRIMARY KEY,
  category    text NOT NULL,
  version     bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  global_position bigserial PRIMARY KEY,
  stream_id       text NOT NULL,
  stream_version  bigint NOT NULL,
  event_id        uuid NOT NULL UNIQUE,
  type            text NOT NULL,
  schema_version  int NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}',
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_transaction_position ON events (transaction_id, global_position);
CREATE INDEX events_type ON events (type);
CREATE INDEX events_correlation ON events ((metadata->>'correlationId'));

CREATE TABLE checkpoints (
  processor       text PRIMARY KEY,
  transaction_id  xid8 NOT NULL,
  global_position bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Durable timers: a saga that waits writes its timeout here in the same transaction as its
-- decision; the scheduler appends the event when due, exactly once (event_id is fixed).
CREATE TABLE scheduled_messages (
  id          bigserial PRIMARY KEY,
  timer_key   text NOT NULL UNIQUE,
  stream_id   text NOT NULL,
  type        text NOT NULL,
  data        jsonb NOT NULL,
  metadata    jsonb NOT NULL DEFAULT '{}',
  due_at      timestamptz NOT NULL,
  event_id    uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at  timestamptz NOT NULL DEFAULT now(),
  fired_at    timestamptz
);
CREATE INDEX scheduled_messages_due ON scheduled_messages (due_at) WHERE fired_at IS NULL;

-- Consumer inbox: one row per (consumer, event) makes a handler's effect happen once.
CREATE TABLE inbox (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

CREATE FUNCTION append_to_stream(
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
  -- A wake-up for live subscribers of this schema; delivered at commit.
  PERFORM pg_notify('ch_events_' || current_schema(), '');
END
$fn$;
`,
};
