export * from './nats-connection';
export * from './event-stream';
export * from './relay';
export * from './durable-consumer';
export * from './idempotent-handler';
export * from './command-bus';
export * from './nest-command-server';
export * from './dead-letter-replay';
