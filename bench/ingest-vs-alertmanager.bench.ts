import { tempDir } from '@klaxon/testing';
import { alertmanagerRate, BATCH, CONNECTIONS, firingAlertsOf, fixture, WARM } from './alert-load.ts';
import { alertsProcessed, startFullKlaxon, until } from './full-klaxon.ts';
import { httpLoad } from './http-load.ts';
import { fmt, median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
// Both take the same load unmeasured first: a JIT runtime (Klaxon) is measured as it runs for days, not
// while it still compiles; Go (Alertmanager) gains little. BENCH_WARMUP=0 measures from a cold start.
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);
const load = (
  url: string,
  headers: Record<string, string>,
  body: (n: number) => string,
  status: number,
  seconds = SECONDS,
) => httpLoad({ url, headers, body, alertsPerRequest: BATCH, connections: CONNECTIONS, seconds, status });

/** The full `pnpm start` (ingest, escalation and projection in one process, embedded stores). */
async function klaxonOnce(): Promise<{ alertsPerSecond: number; p99Ms: number; caughtUpMs: number }> {
  const dir = tempDir('klaxon-bench-full-');
  const klaxon = await startFullKlaxon({ KLAXON_DATA_DIR: dir.path }, 'ignore');
  const send = (seconds: number, from: number) =>
    load(
      `http://127.0.0.1:${klaxon.ingest}/api/v1/alertmanager`,
      { authorization: 'Bearer change-me-alertmanager-token' },
      (n) =>
        JSON.stringify({
          ...fixture,
          groupKey: `{}:{alertname="bench-${(from + n) % 100}-${from}"}`,
          alerts: firingAlertsOf(from + n),
        }),
      202,
      seconds,
    );
  const processed = () => alertsProcessed(klaxon.escalation);
  try {
    // The warm-up's alerts are all handled before the measured load starts, so it starts from an idle Klaxon.
    const warmed =
      WARMUP_SECONDS > 0 ? Math.round((await send(WARMUP_SECONDS, WARM)).alertsPerSecond * WARMUP_SECONDS) : 0;
    await until(async () => (await processed()) >= warmed, 300_000, 'escalation to handle the warm-up');
    const result = await send(SECONDS, 0);
    // Taken in is not handled: how long after the last 202 escalation has handled every accepted alert.
    const accepted = Math.round(result.alertsPerSecond * SECONDS);
    const lastAnswer = performance.now();
    await until(
      async () => (await processed()) >= warmed + accepted,
      300_000,
      'escalation to handle every accepted alert',
    );
    return { ...result, caughtUpMs: performance.now() - lastAnswer };
  } finally {
    await klaxon.stop();
    dir.remove();
  }
}

export async function ingestVsAlertmanagerBench(): Promise<void> {
  console.log(
    `ingest vs Alertmanager: ${BATCH}-alert batches, ${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, ${RUNS} runs each, alternating`,
  );
  const klaxon = [];
  const alertmanager = [];
  for (let i = 0; i < RUNS; i++) {
    klaxon.push(await klaxonOnce());
    alertmanager.push(await alertmanagerRate(SECONDS, WARMUP_SECONDS));
  }
  const line = (name: string, rs: Array<{ alertsPerSecond: number; p99Ms: number }>) =>
    console.log(
      `${name.padEnd(48)} median ${fmt(median(rs.map((r) => r.alertsPerSecond))).padStart(9)} alerts/s, p99 ${median(rs.map((r) => r.p99Ms)).toFixed(1)} ms   (runs: ${rs.map((r) => fmt(r.alertsPerSecond)).join(', ')})`,
    );
  line('Klaxon: full pnpm start, POST /api/v1/alertmanager', klaxon);
  console.log(
    `${'Klaxon: every accepted alert handled'.padEnd(48)} median ${(median(klaxon.map((r) => r.caughtUpMs)) / 1000).toFixed(2)} s after the last 202   (runs: ${klaxon.map((r) => (r.caughtUpMs / 1000).toFixed(2)).join(', ')})`,
  );
  // What escalation carried end to end: every accepted alert over the load plus the catch-up after it.
  const handledRate = (r: { alertsPerSecond: number; caughtUpMs: number }) =>
    (r.alertsPerSecond * SECONDS) / (SECONDS + r.caughtUpMs / 1000);
  console.log(
    `${'Klaxon: accepted and handled, end to end'.padEnd(48)} median ${fmt(median(klaxon.map(handledRate))).padStart(9)} alerts/s   (runs: ${klaxon.map((r) => fmt(handledRate(r))).join(', ')})`,
  );
  line('Alertmanager: POST /api/v2/alerts', alertmanager);
  const ratio = median(klaxon.map((r) => r.alertsPerSecond)) / median(alertmanager.map((r) => r.alertsPerSecond));
  console.log(`${'ratio Klaxon / Alertmanager'.padEnd(48)} ${ratio.toFixed(3)}`);
}
