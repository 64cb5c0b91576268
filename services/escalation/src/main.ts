import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createLogger, readEnv, runUntilSignal } from '@klaxon/service-kit';
import { createEscalationService } from './escalation-service.ts';

const env = readEnv();
const logger = createLogger('escalation');
const store = await openEventStoreFromEnv(env);
const service = createEscalationService({ logger, store });
await service.http.listen(env.ESCALATION_PORT);
runUntilSignal(logger, async () => {
  await service.stop();
  await store.close();
});
