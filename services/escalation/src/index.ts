export * from './escalation-service.ts';
export * from './wire-from-env.ts';
export { escalationShippedSecrets } from './link-secret.ts';
export * from './paging/notifier.ts';
export * from './paging/notifiers-from-env.ts';
