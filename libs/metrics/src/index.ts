export * from './metrics';
export * from './store-gauges';
export * from './readiness';
export * from './ops-http';
