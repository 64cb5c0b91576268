import type { EventStore } from '@klaxon/event-store';
import { createServiceHttp, type Logger, type ServiceHttp } from '@klaxon/service-kit';

export interface EscalationDeps {
  logger: Logger;
  store: EventStore;
}

export interface EscalationService {
  http: ServiceHttp;
  stop(): Promise<void>;
}

export function createEscalationService({ logger, store }: EscalationDeps): EscalationService {
  const http = createServiceHttp({
    service: 'escalation',
    logger,
    readiness: [{ name: `event-store (${store.kind})`, check: () => store.ping() }],
  });
  return { http, stop: () => http.close() };
}
