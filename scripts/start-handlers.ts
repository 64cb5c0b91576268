import { parentPort, workerData } from 'node:worker_threads';
import { openBusFromEnv } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import { escalationFromEnv } from '@klaxon/escalation';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { createProjectionService, openReadModelFromEnv } from '@klaxon/projection';
import { createLogger, readEnv } from '@klaxon/service-kit';

/**
 * `pnpm start`'s worker thread: escalation and projection, on the same embedded stores as ingest in the
 * main thread, with the configuration the main thread loaded. It posts `{urls, eventStore}` once both
 * listen. The message `reload` (SIGHUP) reads the configuration file again in both; `stop` stops both,
 * closes what it opened and posts `{stopped: true}`.
 */
if (!parentPort) throw new Error('start-handlers.ts runs as the worker thread of scripts/start-all.ts');
const parent = parentPort;
const env = readEnv();
// Loaded and checked once, by the main thread.
const { config, host } = workerData as { config: KlaxonConfig; host: string };
const logger = createLogger('klaxon', env.LOG_LEVEL);
const store = await openEventStoreFromEnv(env);
const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const escalation = await escalationFromEnv(env, {
  logger: logger.child({ service: 'escalation' }),
  store,
  bus,
  config,
});
await escalation.start();
const readModel = await openReadModelFromEnv(env);
const projection = await createProjectionService({
  logger: logger.child({ service: 'projection' }),
  store,
  db: readModel,
  // Its own copy, as in the split deployment: a reload through projection's port puts the file into this
  // one only. Shared, it changed escalation's routes and policies under it with no router rebuilt, no
  // schedules refreshed and no ConfigApplied recorded (a renamed policy paged nobody).
  config: structuredClone(config),
  configFile: env.KLAXON_CONFIG,
});
await projection.start();
const urls = {
  escalation: await escalation.http.listen(env.ESCALATION_PORT, host),
  projection: await projection.http.listen(env.PROJECTION_PORT, host),
};
const reload = async () => {
  const reloaded = await escalation.reload({ kind: 'service', name: 'SIGHUP' });
  if (!reloaded.ok)
    logger.error(
      { service: 'escalation', refused: reloaded.error, actor: 'service:SIGHUP' },
      'configuration not reloaded; the running one stays',
    );
  // Each holds its own configuration, so each reads the file again.
  projection.reload('service:SIGHUP');
};
const stop = async () => {
  await Promise.all([escalation.stop(), projection.stop()]);
  await Promise.all([bus.close(), store.close(), readModel.close()]);
  parent.postMessage({ stopped: true });
};
parent.on('message', (message) => {
  if (message === 'reload')
    reload().catch((error: unknown) => logger.error({ err: error }, 'configuration reload failed'));
  else void stop();
});
parent.postMessage({ urls, eventStore: store.kind });
