import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createLogger, readEnv, runUntilSignal } from '@klaxon/service-kit';
import { createProjectionService } from './projection-service.ts';

const env = readEnv();
const logger = createLogger('projection');
const store = await openEventStoreFromEnv(env);
const service = createProjectionService({ logger, store });
await service.http.listen(env.PROJECTION_PORT);
runUntilSignal(logger, async () => {
  await service.stop();
  await store.close();
});
