export * from './migrations';
export * from './api-tokens';
export * from './user-tokens';
