import { alertMapBench } from './alert-map.bench.ts';
import { busBench } from './bus.bench.ts';
import { eventStoreBench } from './event-store.bench.ts';
import { ingestVsAlertmanagerBench } from './ingest-vs-alertmanager.bench.ts';
import { ingestBench } from './ingest.bench.ts';
import { productionPathBench } from './production-path.bench.ts';
import { projectionBench } from './projection.bench.ts';
import { restartBench } from './restart.bench.ts';
import { stormBench } from './storm.bench.ts';
import { timeToPageBench } from './time-to-page.bench.ts';
import { timersBench } from './timers.bench.ts';

/** `pnpm bench [name…]`: prints medians of repeated runs. Names: alert-map, bus, event-store, ingest, ingest-vs-alertmanager, projection, restart, storm, timers, time-to-page, production-path. */
const suites: Record<string, () => Promise<void>> = {
  'alert-map': alertMapBench,
  bus: busBench,
  'event-store': eventStoreBench,
  ingest: ingestBench,
  'ingest-vs-alertmanager': ingestVsAlertmanagerBench,
  projection: projectionBench,
  restart: restartBench,
  storm: stormBench,
  timers: timersBench,
  'time-to-page': timeToPageBench,
  'production-path': productionPathBench,
};
const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(suites)) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown bench "${name}"; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  await suite();
}
