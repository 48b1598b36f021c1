export * from './entities/server.entity';
export * from './entities/route.entity';
export * from './entities/node.entity';
export * from './entities/spawn-attempt.entity';
export * from './entities/user.entity';
export * from './migrations';
export * from './data-source';
