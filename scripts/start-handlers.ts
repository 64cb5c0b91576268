import { parentPort, workerData } from 'node:worker_threads';
import { openBusFromEnv } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import { escalationFromEnv } from '@klaxon/escalation';
import { openEventStoreFromEnv, type EventStore } from '@klaxon/event-store';
import { createProjectionService, openReadModelFromEnv } from '@klaxon/projection';
import { createLogger, readEnv, type Logger } from '@klaxon/service-kit';

/**
 * One of `pnpm start`'s worker threads: escalation or projection (`role`), on the same embedded stores as
 * ingest in the main thread, with the configuration the main thread loaded. It posts `{url, eventStore}`
 * once it listens. The message `reload` (SIGHUP) reads the configuration file again; `stop` stops it,
 * closes what it opened and posts `{stopped: true}`.
 */
if (!parentPort) throw new Error('start-handlers.ts runs as a worker thread of scripts/start-all.ts');
const parent = parentPort;
const env = readEnv();
// Loaded and checked once, by the main thread.
const { config, host, role } = workerData as {
  config: KlaxonConfig;
  host: string;
  role: 'escalation' | 'projection';
};
const logger = createLogger('klaxon', env.LOG_LEVEL);
const store = await openEventStoreFromEnv(env);

interface Running {
  url: string;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

async function runEscalation(store: EventStore, logger: Logger): Promise<Running> {
  const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
  const escalation = await escalationFromEnv(env, {
    logger: logger.child({ service: 'escalation' }),
    store,
    bus,
    config,
  });
  await escalation.start();
  return {
    url: await escalation.http.listen(env.ESCALATION_PORT, host),
    async reload() {
      const reloaded = await escalation.reload({ kind: 'service', name: 'SIGHUP' });
      if (!reloaded.ok)
        logger.error(
          { service: 'escalation', refused: reloaded.error, actor: 'service:SIGHUP' },
          'configuration not reloaded; the running one stays',
        );
    },
    async stop() {
      await escalation.stop();
      await bus.close();
    },
  };
}

async function runProjection(store: EventStore, logger: Logger): Promise<Running> {
  const readModel = await openReadModelFromEnv(env);
  // Its own copy, as in the split deployment (and now in a thread of its own anyway): a reload through
  // projection's port puts the file into this one only. Shared, it changed escalation's routes and policies
  // under it with no router rebuilt, no schedules refreshed and no ConfigApplied recorded.
  const projection = await createProjectionService({
    logger: logger.child({ service: 'projection' }),
    store,
    db: readModel,
    config: structuredClone(config),
    configFile: env.KLAXON_CONFIG,
  });
  await projection.start();
  return {
    url: await projection.http.listen(env.PROJECTION_PORT, host),
    async reload() {
      projection.reload('service:SIGHUP');
    },
    async stop() {
      await projection.stop();
      await readModel.close();
    },
  };
}

const running = await (role === 'escalation' ? runEscalation : runProjection)(store, logger);
const stop = async () => {
  await running.stop();
  await store.close();
  parent.postMessage({ stopped: true });
};
parent.on('message', (message) => {
  if (message === 'reload')
    running.reload().catch((error: unknown) => logger.error({ err: error }, 'configuration reload failed'));
  else void stop();
});
parent.postMessage({ url: running.url, eventStore: store.kind });
