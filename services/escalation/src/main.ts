import { openBusFromEnv } from '@klaxon/bus';
import { loadConfigOrExit } from '@klaxon/config';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createLogger, listenHostOrExit, readEnv, runUntilSignal } from '@klaxon/service-kit';
import { escalationShippedSecrets, linkSecretOrExit } from './link-secret.ts';
import { escalationFromEnv } from './wire-from-env.ts';

const env = readEnv();
const config = loadConfigOrExit(env.KLAXON_CONFIG);
const logger = createLogger('escalation', env.LOG_LEVEL);
const host = listenHostOrExit(env.KLAXON_HOST, escalationShippedSecrets(env, config), logger);
linkSecretOrExit(env);
const store = await openEventStoreFromEnv(env);
const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const service = await escalationFromEnv(env, { logger, store, bus, config });
await service.start();
await service.http.listen(env.ESCALATION_PORT, host);
runUntilSignal(logger, async () => {
  await service.stop();
  await Promise.all([bus.close(), store.close()]);
});
