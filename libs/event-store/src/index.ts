export * from './db';
export * from './errors';
export * from './migrations/migration';
export * from './migrations/001-event-store';
export * from './sql/append-to-stream';
export * from './sql/read-stream';
export * from './sql/read-all-forward';
export * from './sql/read-checkpoint';
export * from './sql/store-checkpoint';
export * from './sql/schedule-message';
export * from './sql/cancel-scheduled-message';
export * from './sql/fire-due-messages';
export * from './sql/mark-processed';
export * from './processor/wake-up';
export * from './processor/event-processor';
export * from './processor/timer-scheduler';

import { eventStoreSchema } from './migrations/001-event-store';
export const eventStoreMigrations = [eventStoreSchema];
