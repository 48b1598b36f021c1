export * from './migrations';
export * from './api-tokens';
