export * from './user-state';
export * from './decide-user';
export * from './group-state';
export * from './decide-group';
