import { readFileSync } from 'node:fs';
import { freePort, startAlertmanager, tempDir } from '@klaxon/testing';
import { startFullKlaxon, until } from './full-klaxon.ts';
import { httpLoad } from './http-load.ts';
import { fmt, median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 8;
const BATCH = 50;
const fixture = JSON.parse(readFileSync(new URL('../services/ingest/test/fixtures/alertmanager-0.25-firing.json', import.meta.url), 'utf8')) as {
  alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; generatorURL: string }>;
};

/** The same 50 alerts for both: distinct label sets, as one Alertmanager group notification would carry them. */
const alertsOf = (n: number) =>
  Array.from({ length: BATCH }, (_, i) => ({ ...fixture.alerts[0]!, labels: { ...fixture.alerts[0]!.labels, instance: `host-${n}-${i}` }, fingerprint: `f${n}-${i}` }));

const load = (url: string, headers: Record<string, string>, body: (n: number) => string, status: number) =>
  httpLoad({ url, headers, body, alertsPerRequest: BATCH, connections: CONNECTIONS, seconds: SECONDS, status });

/** The full `pnpm start` (ingest, escalation and projection in one process, embedded stores). */
async function klaxonOnce(): Promise<{ alertsPerSecond: number; p99Ms: number; caughtUpMs: number }> {
  const dir = tempDir('klaxon-bench-full-');
  const klaxon = await startFullKlaxon({ KLAXON_DATA_DIR: dir.path }, 'ignore');
  try {
    const result = await load(
      `http://127.0.0.1:${klaxon.ingest}/api/v1/alertmanager`,
      { authorization: 'Bearer change-me-alertmanager-token' },
      (n) => JSON.stringify({ ...fixture, groupKey: `{}:{alertname="bench-${n % 100}"}`, alerts: alertsOf(n).map((a) => ({ ...a, status: 'firing', endsAt: '0001-01-01T00:00:00Z' })) }),
      202,
    );
    // Taken in is not handled: how long after the last 202 escalation has handled every accepted alert.
    const accepted = Math.round(result.alertsPerSecond * SECONDS);
    const lastAnswer = performance.now();
    const processed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${klaxon.escalation}/metrics`)).text();
      return [...text.matchAll(/^klaxon_alerts_processed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    await until(async () => (await processed()) >= accepted, 300_000, 'escalation to handle every accepted alert');
    return { ...result, caughtUpMs: performance.now() - lastAnswer };
  } finally {
    await klaxon.stop();
    dir.remove();
  }
}

/** A real Alertmanager (Debian's) taking the same alerts on its own API, POST /api/v2/alerts. */
async function alertmanagerOnce(): Promise<{ alertsPerSecond: number; p99Ms: number }> {
  // Its notifications go to a port nobody listens on: what is measured is how fast it takes alerts in.
  const am = await startAlertmanager(`http://127.0.0.1:${await freePort()}/`, 'unused-token-0123456789');
  try {
    return await load(`${am.url}/api/v2/alerts`, {}, (n) => JSON.stringify(alertsOf(n).map(({ labels, annotations, startsAt, generatorURL }) => ({ labels, annotations, startsAt, generatorURL }))), 200);
  } finally {
    await am.stop();
  }
}

export async function ingestVsAlertmanagerBench(): Promise<void> {
  console.log(`ingest vs Alertmanager: ${BATCH}-alert batches, ${CONNECTIONS} connections, ${SECONDS} s per run, ${RUNS} runs each, alternating`);
  const klaxon = [];
  const alertmanager = [];
  for (let i = 0; i < RUNS; i++) {
    klaxon.push(await klaxonOnce());
    alertmanager.push(await alertmanagerOnce());
  }
  const line = (name: string, rs: Array<{ alertsPerSecond: number; p99Ms: number }>) =>
    console.log(`${name.padEnd(48)} median ${fmt(median(rs.map((r) => r.alertsPerSecond))).padStart(9)} alerts/s, p99 ${median(rs.map((r) => r.p99Ms)).toFixed(1)} ms   (runs: ${rs.map((r) => fmt(r.alertsPerSecond)).join(', ')})`);
  line('Klaxon: full pnpm start, POST /api/v1/alertmanager', klaxon);
  console.log(
    `${'Klaxon: every accepted alert handled'.padEnd(48)} median ${(median(klaxon.map((r) => r.caughtUpMs)) / 1000).toFixed(2)} s after the last 202   (runs: ${klaxon.map((r) => (r.caughtUpMs / 1000).toFixed(2)).join(', ')})`,
  );
  // What escalation carried end to end: every accepted alert over the load plus the catch-up after it.
  const handledRate = (r: { alertsPerSecond: number; caughtUpMs: number }) => (r.alertsPerSecond * SECONDS) / (SECONDS + r.caughtUpMs / 1000);
  console.log(
    `${'Klaxon: accepted and handled, end to end'.padEnd(48)} median ${fmt(median(klaxon.map(handledRate))).padStart(9)} alerts/s   (runs: ${klaxon.map((r) => fmt(handledRate(r))).join(', ')})`,
  );
  line('Alertmanager: POST /api/v2/alerts', alertmanager);
  const ratio = median(klaxon.map((r) => r.alertsPerSecond)) / median(alertmanager.map((r) => r.alertsPerSecond));
  console.log(`${'ratio Klaxon / Alertmanager'.padEnd(48)} ${ratio.toFixed(3)}`);
}
