export * from './postgres.ts';
export * from './temp-dir.ts';
