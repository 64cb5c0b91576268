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
// As Alertmanager: SIGHUP reads the configuration file again; a bad one is logged and the running one stays.
process.on('SIGHUP', () => {
  service.reload({ kind: 'service', name: 'SIGHUP' }).then(
    (reloaded) => {
      if (!reloaded.ok) logger.error({ refused: reloaded.error }, 'configuration not reloaded; the running one stays');
    },
    (error: unknown) => logger.error({ err: error }, 'configuration reload failed'),
  );
});
runUntilSignal(logger, async () => {
  await service.stop();
  await Promise.all([bus.close(), store.close()]);
});
