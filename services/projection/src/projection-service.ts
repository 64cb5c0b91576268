import type { EventStore } from '@klaxon/event-store';
import { createServiceHttp, type Logger, type ServiceHttp } from '@klaxon/service-kit';

export interface ProjectionDeps {
  logger: Logger;
  store: EventStore;
}

export interface ProjectionService {
  http: ServiceHttp;
  stop(): Promise<void>;
}

export function createProjectionService({ logger, store }: ProjectionDeps): ProjectionService {
  const http = createServiceHttp({
    service: 'projection',
    logger,
    readiness: [{ name: `event-store (${store.kind})`, check: () => store.ping() }],
  });
  return { http, stop: () => http.close() };
}
