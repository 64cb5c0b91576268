import { openBusFromEnv } from '@klaxon/bus';
import { loadConfigOrExit, shippedSecretsOf } from '@klaxon/config';
import { createLogger, listenHostOrExit, readEnv, reloadOnSighup, runUntilSignal } from '@klaxon/service-kit';
import { createIngestService } from './ingest-service.ts';

const env = readEnv();
const logger = createLogger('ingest', env.LOG_LEVEL);
// As Alertmanager: SIGHUP reads the configuration file again; a bad one is logged and the running one stays.
// Taken from the start (Node's default for SIGHUP is to exit); one during start-up applies once it is up.
const sighup = reloadOnSighup(logger);
const config = loadConfigOrExit(env.KLAXON_CONFIG);
const host = listenHostOrExit(env.KLAXON_HOST, shippedSecretsOf(config, { integrations: true }), logger);
const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const service = createIngestService({
  logger,
  bus,
  integrations: config.integrations,
  maxBodyBytes: env.INGEST_MAX_BODY_BYTES,
  reloadFrom: { config, file: env.KLAXON_CONFIG },
});
await service.http.listen(env.INGEST_PORT, host);
sighup.ready(() => void service.reload('service:SIGHUP'));
runUntilSignal(logger, async () => {
  await service.stop();
  await bus.close();
});
