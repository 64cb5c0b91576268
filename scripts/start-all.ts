import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { openBusFromEnv } from '@klaxon/bus';
import { loadConfigOrExit, shippedSecretsOf } from '@klaxon/config';
import { escalationShippedSecrets } from '@klaxon/escalation';
import { createIngestService } from '@klaxon/ingest';
import { createLogger, listenHostOrExit, readEnv, reloadOnSighup, runUntilSignal } from '@klaxon/service-kit';

/**
 * `pnpm start`: the three services in one process, sharing the embedded stores. Ingest has the main
 * thread; escalation and projection have a worker thread each (scripts/start-handlers.ts). In one event loop
 * ingest and the others took turns: under a 5 s storm of webhooks, escalation ended 4.75 s behind the last
 * 202. Sharing one, projection's batches and its garbage were escalation's to wait for while a new incident
 * waited to page.
 */
const env = readEnv();
const logger = createLogger('klaxon', env.LOG_LEVEL);
// As Alertmanager: SIGHUP reads the configuration file again, in all three services (ingest here, escalation
// and projection in their workers); a bad file is logged by each and the running configuration stays. Taken
// from the start: Node's default for SIGHUP is to exit, and one during start-up applies once all are up.
const sighup = reloadOnSighup(logger);
const config = loadConfigOrExit(env.KLAXON_CONFIG);
// One decision for the three services of this process, from every secret any of them uses.
const host = listenHostOrExit(
  env.KLAXON_HOST,
  [...shippedSecretsOf(config, { integrations: true }), ...escalationShippedSecrets(env, config)],
  logger,
);

// Node 20 does not carry tsx's loader into a worker's entry file: the worker registers it, then imports it.
const entry = JSON.stringify(new URL('./start-handlers.ts', import.meta.url).href);
const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
// A worker dying is the process dying: a supervisor restarts the whole, and nothing half-runs.
const died = (role: string, reason: object) => {
  logger.fatal({ ...reason, service: role }, `${role} stopped; exiting`);
  process.exit(1);
};
const startWorker = (role: 'escalation' | 'projection') => {
  const worker = new Worker(`import(${tsx}).then(({ register }) => (register(), import(${entry})))`, {
    eval: true,
    workerData: { config, host, role },
  });
  worker.on('error', (err) => died(role, { err }));
  worker.on('exit', (code) => died(role, { code }));
  return worker;
};
const workers = [startWorker('escalation'), startWorker('projection')] as const;
const ready = async (w: Worker) => ((await once(w, 'message')) as [{ url: string; eventStore: string }])[0];
const [escalation, projection] = await Promise.all([ready(workers[0]), ready(workers[1])]);
const started = {
  urls: { escalation: escalation.url, projection: projection.url },
  eventStore: escalation.eventStore,
};

const bus = await openBusFromEnv(env, logger.child({ component: 'bus' }));
const ingest = createIngestService({
  logger: logger.child({ service: 'ingest' }),
  bus,
  integrations: config.integrations,
  maxBodyBytes: env.INGEST_MAX_BODY_BYTES,
  reloadFrom: { config, file: env.KLAXON_CONFIG },
});
const urls = { ingest: await ingest.http.listen(env.INGEST_PORT, host), ...started.urls };
logger.info({ urls, eventStore: started.eventStore, bus: bus.kind, dataDir: env.KLAXON_DATA_DIR }, 'klaxon is running');

sighup.ready(() => {
  ingest.reload('service:SIGHUP');
  for (const w of workers) w.postMessage('reload');
});

runUntilSignal(logger, async () => {
  await ingest.stop();
  await Promise.all(
    workers.map(async (w) => {
      w.removeAllListeners('exit');
      w.postMessage('stop');
      await once(w, 'message');
    }),
  );
  await Promise.all([bus.close(), ...workers.map((w) => w.terminate())]);
});
