import { openBusFromEnv } from '@klaxon/bus';
import { loadConfigOrExit } from '@klaxon/config';
import { escalationFromEnv } from '@klaxon/escalation';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createIngestService } from '@klaxon/ingest';
import { createProjectionService, openReadModelFromEnv } from '@klaxon/projection';
import { createLogger, readEnv, runUntilSignal } from '@klaxon/service-kit';

/** `pnpm start`: the three services in one process, sharing the embedded stores. */
const env = readEnv();
const config = loadConfigOrExit(env.KLAXON_CONFIG);
const logger = createLogger('klaxon', env.LOG_LEVEL);
const store = await openEventStoreFromEnv(env);
const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const ingest = createIngestService({
  logger: logger.child({ service: 'ingest' }),
  bus,
  integrations: config.integrations,
  maxBodyBytes: env.INGEST_MAX_BODY_BYTES,
});
const escalation = await escalationFromEnv(env, { logger: logger.child({ service: 'escalation' }), store, bus, config });
await escalation.start();
const readModel = await openReadModelFromEnv(env);
const projection = await createProjectionService({ logger: logger.child({ service: 'projection' }), store, db: readModel, config });
await projection.start();

const urls = {
  ingest: await ingest.http.listen(env.INGEST_PORT, env.KLAXON_HOST),
  escalation: await escalation.http.listen(env.ESCALATION_PORT, env.KLAXON_HOST),
  projection: await projection.http.listen(env.PROJECTION_PORT, env.KLAXON_HOST),
};
logger.info({ urls, eventStore: store.kind, bus: bus.kind, dataDir: env.KLAXON_DATA_DIR }, 'klaxon is running');

runUntilSignal(logger, async () => {
  await Promise.all([ingest.stop(), escalation.stop(), projection.stop()]);
  await Promise.all([bus.close(), store.close(), readModel.close()]);
});
