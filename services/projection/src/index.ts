export * from './projection-service.ts';
export * from './projection-runner.ts';
export * from './rebuild.ts';
export * from './read-model/sql-database.ts';
export * from './read-model/sqlite-database.ts';
export * from './read-model/postgres-database.ts';
export * from './read-model/read-model-from-env.ts';
