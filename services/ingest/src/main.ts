import { createLogger, readEnv, runUntilSignal } from '@klaxon/service-kit';
import { createIngestService } from './ingest-service.ts';

const env = readEnv();
const logger = createLogger('ingest');
const service = createIngestService({ logger });
await service.http.listen(env.INGEST_PORT);
runUntilSignal(logger, () => service.stop());
