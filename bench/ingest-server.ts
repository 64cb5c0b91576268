import pino from 'pino';
import { openBusFromEnv } from '@klaxon/bus';
import { createIngestService } from '@klaxon/ingest';

/** The ingest service alone on the embedded log, in its own process, for the load bench. */
const bus = await openBusFromEnv({ KLAXON_DATA_DIR: process.argv[2]! });
const service = createIngestService({
  logger: pino({ level: 'silent' }),
  bus,
  integrations: { bench: { token: 'bench-token-0123456789' } },
});
const url = await service.http.listen(0, '127.0.0.1');
process.stdout.write(`${url}\n`);
process.once(
  'SIGTERM',
  () =>
    void service
      .stop()
      .then(() => bus.close())
      .then(() => process.exit(0)),
);
