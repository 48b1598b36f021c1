export * from './server-state';
export * from './evolve';
export * from './decide';
export * from './react';
export * from './diagnose';
export * from './progress';
export * from './follow-up';
export * from './lifecycle-settings';
