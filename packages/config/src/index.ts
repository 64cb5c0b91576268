export * from './schema.ts';
export * from './load-config.ts';
export * from './reload-config.ts';
export * from './file-reload.ts';
