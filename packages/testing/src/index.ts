export * from './postgres.ts';
export * from './temp-dir.ts';
export * from './docker.ts';
export * from './alertmanager.ts';
