import { openBusFromEnv } from '@klaxon/bus';
import { loadConfigOrExit } from '@klaxon/config';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createLogger, listenHostOrExit, readEnv, reloadOnSighup, runUntilSignal } from '@klaxon/service-kit';
import { escalationShippedSecrets, linkSecretOrExit } from './link-secret.ts';
import { escalationFromEnv } from './wire-from-env.ts';

const env = readEnv();
const logger = createLogger('escalation', env.LOG_LEVEL);
// As Alertmanager: SIGHUP reads the configuration file again; a bad one is logged and the running one stays.
// Taken from the start (Node's default for SIGHUP is to exit); one during start-up applies once it is up.
const sighup = reloadOnSighup(logger);
const config = loadConfigOrExit(env.KLAXON_CONFIG);
const host = listenHostOrExit(env.KLAXON_HOST, escalationShippedSecrets(env, config), logger);
linkSecretOrExit(env);
const store = await openEventStoreFromEnv(env);
const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const service = await escalationFromEnv(env, { logger, store, bus, config });
await service.start();
await service.http.listen(env.ESCALATION_PORT, host);
sighup.ready(() => {
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
