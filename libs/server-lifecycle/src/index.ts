export * from './server-state';
export * from './evolve';
export * from './decide';
export * from './react';
export * from './diagnose';
export * from './progress';
