export * from './escalation-service.ts';
