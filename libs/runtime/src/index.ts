export * from './tokens';
export * from './runtime.module';
export * from './http-app';
export * from './run-service';
export * from './client-address';
