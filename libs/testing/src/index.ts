export * from './test-database';
export * from './test-nats';
export * from './private-nats';
export * from './service-env';
export * from './tcp-forwarder';
