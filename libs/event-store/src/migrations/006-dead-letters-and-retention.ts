import type { Migration } from './migration';

// Dead letters where operators can list and replay them (`condorhub dead-letters`), kept until
// they are dealt with (the JetStream stream ages out); and the indexes the retention job prunes
// inbox rows and fired timers by.
export const deadLettersAndRetention: Migration = {
  id: '006_dead_letters_and_retention',
  sql: `
CREATE TABLE dead_letters (
  id               bigserial PRIMARY KEY,
  consumer         text NOT NULL,
  subject          text NOT NULL,
  stream_sequence  bigint NOT NULL,
  event_id         uuid,
  event_type       text,
  stream_id        text,
  reason           text NOT NULL,
  payload          text NOT NULL,
  dead_lettered_at timestamptz NOT NULL DEFAULT now(),
  replayed_at      timestamptz,
  replays          int NOT NULL DEFAULT 0,
  UNIQUE (consumer, stream_sequence)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);
CREATE INDEX scheduled_messages_fired_at ON scheduled_messages (fired_at) WHERE fired_at IS NOT NULL;
`,
};
