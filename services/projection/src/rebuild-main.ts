import { SingleBar } from 'cli-progress';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { readEnv } from '@klaxon/service-kit';
import { openReadModelFromEnv } from './read-model/read-model-from-env.ts';
import { rebuildReadModels } from './rebuild.ts';

/**
 * `pnpm --filter @klaxon/projection rebuild`: every read model again from the start of history, with the
 * same environment as the service (KLAXON_DATA_DIR or DATABASE_URL). The live projection keeps serving.
 */
const env = readEnv();
const store = await openEventStoreFromEnv(env);
const db = await openReadModelFromEnv(env);
const started = Date.now();
const bar = new SingleBar({
  format: 'rebuild [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}',
  etaBuffer: 50,
  stream: process.stderr,
});
bar.start(1000, 0, { events: 0, rate: 0 });
const { events } = await rebuildReadModels(store, db, {
  onProgress: ({ events: done, position, head }) => {
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
    bar.update(head === 0n ? 1000 : Number((position * 1000n) / head), { events: done, rate });
  },
});
bar.update(1000);
bar.stop();
const seconds = (Date.now() - started) / 1000;
process.stdout.write(
  `rebuilt the read models from ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / Math.max(seconds, 0.001))} events/s); swapped in\n`,
);
await db.close();
await store.close();
