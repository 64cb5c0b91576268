export * from './projection-service.ts';
