import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AlertMap, type AlertSeen } from '@klaxon/domain';
import { median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const INCIDENTS = 400;
const ALERTS = 1000;
const RUN = 50;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * What an incident keeps per alert: the heap a storm's incidents hold, over the alerts they hold. Each alert
 * started a second after the one before, or (`startedTogether`) each run's alerts at one instant, as the series
 * one rule evaluation fired do.
 */
function bytesPerAlert(startedTogether: boolean): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const incidents: AlertMap[] = [];
  for (let i = 0; i < INCIDENTS; i++) {
    let alerts = AlertMap.empty();
    for (let from = 0; from < ALERTS; from += RUN) {
      // Strings as the bus hands them over: each parsed from its own record, none shared.
      const run = JSON.parse(
        JSON.stringify(
          Array.from({ length: RUN }, (_, n) => [
            (i * ALERTS + from + n).toString(16).padStart(16, '0'),
            {
              status: 'firing',
              startsAt: new Date(1.8e12 + (startedTogether ? from : from + n) * 1000).toISOString(),
            },
          ]),
        ),
      ) as Array<[string, AlertSeen]>;
      alerts = alerts.with(run);
    }
    incidents.push(alerts);
  }
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / (INCIDENTS * ALERTS);
  if (incidents.length !== INCIDENTS) throw new Error('unreachable: keeps the incidents alive until measured');
  return bytes;
}

export async function alertMapBench(): Promise<void> {
  console.log(
    `alert map: ${INCIDENTS} incidents of ${ALERTS} firing alerts each, made in runs of ${RUN}; heap kept per alert after a full collection; ${RUNS} runs`,
  );
  for (const [label, startedTogether] of [
    ['bytes per alert, each its own start', false],
    ["bytes per alert, a run's alerts together", true],
  ] as const) {
    const runs = Array.from({ length: RUNS }, () => bytesPerAlert(startedTogether));
    console.log(
      `${label.padEnd(44)} median ${median(runs).toFixed(0)}   (runs: ${runs.map((b) => b.toFixed(0)).join(', ')})`,
    );
  }
  await Promise.resolve();
}
