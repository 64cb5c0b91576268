export * from './event-store.ts';
export * from './append-errors.ts';
export * from './sqlite-event-store.ts';
export * from './postgres-event-store.ts';
export * from './polling-subscription.ts';
export * from './from-env.ts';
export * from './eventstoredb-event-store.ts';
