export * from './db';
export * from './ensure-database';
export * from './deterministic-id';
export * from './errors';
export * from './migrations/migration';
export * from './migrations/001-event-store';
export * from './migrations/002-no-append-sessions';
export * from './migrations/003-notify-after-commit';
export * from './migrations/004-append-and-cancel-timers';
export * from './migrations/005-timer-attempts';
export * from './migrations/006-dead-letters-and-retention';
export * from './migrations/007-append-events';
export * from './migrations/008-append-events-grouped';
export * from './migrations/009-grouped-append-lock-timeout';
export * from './sql/notify-appended';
export * from './no-append';
export * from './sql/append-to-stream';
export * from './sql/append-grouped';
export * from './sql/read-stream';
export * from './sql/read-streams-after';
export * from './sql/read-all-forward';
export * from './sql/has-events-after';
export * from './sql/list-stream-versions';
export * from './sql/read-types-after';
export * from './sql/find-event-version';
export * from './sql/list-correlated-streams';
export * from './sql/stored-route-events';
export * from './sql/read-checkpoint';
export * from './sql/store-checkpoint';
export * from './sql/schedule-message';
export * from './sql/cancel-scheduled-message';
export * from './sql/lock-stream-at';
export * from './sql/fire-due-messages';
export * from './sql/mark-processed';
export * from './sql/was-processed';
export * from './sql/advisory-lock';
export * from './sql/dead-letters';
export * from './sql/read-latest-in-category';
export * from './sql/prune-processed';
export * from './decide-and-append';
export * from './decide-and-append-in-transaction';
export * from './processor/wake-up';
export * from './processor/leader-lock';
export * from './processor/event-processor';
export * from './processor/timer-scheduler';
export * from './processor/retention-pruner';

import { eventStoreSchema } from './migrations/001-event-store';
import { noAppendSessions } from './migrations/002-no-append-sessions';
import { notifyAfterCommit } from './migrations/003-notify-after-commit';
import { appendAndCancelTimers } from './migrations/004-append-and-cancel-timers';
import { timerAttempts } from './migrations/005-timer-attempts';
import { deadLettersAndRetention } from './migrations/006-dead-letters-and-retention';
import { appendEvents } from './migrations/007-append-events';
import { appendEventsGrouped } from './migrations/008-append-events-grouped';
import { groupedAppendLockTimeout } from './migrations/009-grouped-append-lock-timeout';
export const eventStoreMigrations = [
  eventStoreSchema,
  noAppendSessions,
  notifyAfterCommit,
  appendAndCancelTimers,
  timerAttempts,
  deadLettersAndRetention,
  appendEvents,
  appendEventsGrouped,
  groupedAppendLockTimeout,
];
