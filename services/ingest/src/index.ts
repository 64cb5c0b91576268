export * from './ingest-service.ts';
