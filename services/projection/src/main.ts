import { loadConfigOrExit, shippedSecretsOf } from '@klaxon/config';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createLogger, listenHostOrExit, readEnv, reloadOnSighup, runUntilSignal } from '@klaxon/service-kit';
import { createProjectionService } from './projection-service.ts';
import { openReadModelFromEnv } from './read-model/read-model-from-env.ts';

const env = readEnv();
const logger = createLogger('projection', env.LOG_LEVEL);
// As Alertmanager: SIGHUP reads the configuration file again; a bad one is logged and the running one stays.
// Taken from the start (Node's default for SIGHUP is to exit); one during start-up applies once it is up.
const sighup = reloadOnSighup(logger);
const config = loadConfigOrExit(env.KLAXON_CONFIG);
const host = listenHostOrExit(env.KLAXON_HOST, shippedSecretsOf(config, { api: true }), logger);
const store = await openEventStoreFromEnv(env);
const db = await openReadModelFromEnv(env);
const service = await createProjectionService({
  logger,
  store,
  db,
  config,
  stallAfterMs: env.KLAXON_PROJECTION_STALL_MS,
  configFile: env.KLAXON_CONFIG,
});
await service.start();
await service.http.listen(env.PROJECTION_PORT, host);
sighup.ready(() => void service.reload('service:SIGHUP'));
runUntilSignal(logger, async () => {
  await service.stop();
  await Promise.all([db.close(), store.close()]);
});
