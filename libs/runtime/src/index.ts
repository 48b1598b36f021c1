export * from './tokens';
export * from './runtime.module';
