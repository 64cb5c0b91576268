import { createServiceHttp, type Logger, type ServiceHttp } from '@klaxon/service-kit';

export interface IngestDeps {
  logger: Logger;
}

export interface IngestService {
  http: ServiceHttp;
  stop(): Promise<void>;
}

export function createIngestService({ logger }: IngestDeps): IngestService {
  const http = createServiceHttp({ service: 'ingest', logger });
  return { http, stop: () => http.close() };
}
