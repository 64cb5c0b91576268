import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '@klaxon/testing';
import { alertmanagerRate, BATCH, CONNECTIONS, firingAlertsOf, fixture, WARM } from './alert-load.ts';
import { alertsProcessed, until } from './full-klaxon.ts';
import { BROKER_WARMUP_TEXT, PARTITIONS, startProductionKlaxon } from './services.ts';
import type { WarmedBroker } from './broker-warm-up.ts';
import { httpLoad } from './http-load.ts';
import { callsBetween, kernelCalls, processCpuSeconds, type KernelCalls } from './proc-cpu.ts';
import { fmt, median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);
const GROUPS = 400;
const AM_TOKEN = 'bench-alertmanager-token-01';

const config = (apiToken: string) =>
  readFileSync(new URL('../klaxon.yaml', import.meta.url), 'utf8')
    .replace('${KLAXON_ALERTMANAGER_TOKEN:-change-me-alertmanager-token}', AM_TOKEN)
    .replace('${KLAXON_API_TOKEN:-change-me-api-token-0001}', apiToken);

/** The PostgreSQL processes of the machine's cluster (their backends serve other clients too: an upper bound). */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false; // gone between the listing and the read
      }
    })
    .map(Number);
}

const postgresCpu = () => postgresPids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0);

const postgresCalls = () => kernelCalls(...postgresPids());

interface KlaxonRun {
  acceptedPerSecond: number;
  p99Ms: number;
  duringLoadPerSecond: number;
  endToEndPerSecond: number;
  caughtUpMs: number;
  cpu: Record<string, number>;
  calls: Record<string, KernelCalls>;
  alerts: number;
  warmed: WarmedBroker;
}

/** Ingest, escalation and projection as three processes on the real broker and PostgreSQL. */
async function klaxonOnce(): Promise<KlaxonRun> {
  const dir = tempDir('klaxon-bench-prod-');
  const file = dir.file('klaxon.yaml');
  writeFileSync(file, config('bench-api-token-0000000001'));
  let running: Awaited<ReturnType<typeof startProductionKlaxon>> | undefined;
  try {
    const klaxon = await startProductionKlaxon(
      { KLAXON_CONFIG: file, KLAXON_LINK_SECRET: 'bench-link-secret-0123456789abcdef' },
      dir.path,
    );
    running = klaxon;
    // httpLoad fails the run on any answer but 202: a run that finishes had no non-2xx.
    const send = (seconds: number, from: number) =>
      httpLoad({
        url: `http://127.0.0.1:${klaxon.ingest}/api/v1/alertmanager`,
        headers: { authorization: `Bearer ${AM_TOKEN}` },
        body: (n) =>
          JSON.stringify({
            ...fixture,
            groupKey: `{}:{alertname="bench-${(from + n) % GROUPS}-${from}"}`,
            alerts: firingAlertsOf(from + n),
          }),
        alertsPerRequest: BATCH,
        connections: CONNECTIONS,
        seconds,
        status: 202,
      });
    const processed = () => alertsProcessed(klaxon.escalation);
    const warmed =
      WARMUP_SECONDS > 0 ? Math.round((await send(WARMUP_SECONDS, WARM)).alertsPerSecond * WARMUP_SECONDS) : 0;
    await until(async () => (await processed()) >= warmed, 300_000, 'escalation to handle the warm-up');
    const cpuBefore = klaxon.cpu();
    const pgBefore = postgresCpu();
    const callsBefore = klaxon.calls();
    const pgCallsBefore = postgresCalls();
    const result = await send(SECONDS, 0);
    const lastAnswer = performance.now();
    const accepted = Math.round(result.alertsPerSecond * SECONDS);
    const duringLoad = (await processed()) - warmed;
    await until(async () => (await processed()) >= warmed + accepted, 600_000, 'escalation to handle every alert');
    const caughtUpMs = performance.now() - lastAnswer;
    const cpuAfter = klaxon.cpu();
    const cpu: Record<string, number> = Object.fromEntries(
      [...cpuAfter].map(([name, seconds]) => [name, seconds - cpuBefore.get(name)!]),
    );
    cpu.postgres = postgresCpu() - pgBefore;
    const calls: Record<string, KernelCalls> = Object.fromEntries(
      [...klaxon.calls()].map(([name, c]) => [name, callsBetween(callsBefore.get(name)!, c)]),
    );
    calls.postgres = callsBetween(pgCallsBefore, postgresCalls());
    return {
      acceptedPerSecond: result.alertsPerSecond,
      p99Ms: result.p99Ms,
      duringLoadPerSecond: duringLoad / SECONDS,
      endToEndPerSecond: accepted / (SECONDS + caughtUpMs / 1000),
      caughtUpMs,
      cpu,
      calls,
      alerts: accepted,
      warmed: klaxon.warmed,
    };
  } finally {
    await running?.stop();
    dir.remove();
  }
}

export async function productionPathBench(): Promise<void> {
  console.log(
    `production path: ingest, escalation and projection as three processes on a real Kafka broker (${PARTITIONS} partitions; a new broker in every run, ${BROKER_WARMUP_TEXT}) and PostgreSQL; ${BATCH}-alert notifications over ${GROUPS} groups, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up; Alertmanager's POST /api/v2/alerts with the same load; ${RUNS} runs, alternating`,
  );
  const klaxon: KlaxonRun[] = [];
  const alertmanager: Array<{ alertsPerSecond: number; p99Ms: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const k = await klaxonOnce();
    const a = await alertmanagerRate(SECONDS, WARMUP_SECONDS);
    klaxon.push(k);
    alertmanager.push(a);
    const perAlert = Object.entries(k.cpu)
      .map(([name, s]) => `${name} ${((s / k.alerts) * 1e6).toFixed(1)}`)
      .join(', ');
    const notifications = k.alerts / BATCH;
    const perNotification = Object.entries(k.calls)
      .map(
        ([name, c]) =>
          `${name} ${(c.reads / notifications).toFixed(1)}/${(c.writes / notifications).toFixed(1)}/${(c.switches / notifications).toFixed(1)}`,
      )
      .join(', ');
    console.log(
      `  run ${i + 1}: broker warmed ${k.warmed.seconds.toFixed(0)} s (its compilers ${(k.warmed.compilerShare * 100).toFixed(1)} % of a core at the end); Klaxon accepted ${fmt(k.acceptedPerSecond)} alerts/s (p99 ${k.p99Ms.toFixed(1)} ms), handled ${fmt(k.duringLoadPerSecond)}/s while the load lasted, ${fmt(k.endToEndPerSecond)}/s end to end, caught up ${(k.caughtUpMs / 1000).toFixed(2)} s after the last 202, every answer 202; Alertmanager ${fmt(a.alertsPerSecond)} alerts/s (p99 ${a.p99Ms.toFixed(1)} ms); CPU µs per alert: ${perAlert}; per ${BATCH}-alert notification, reads/writes/context switches: ${perNotification}`,
    );
  }
  const m = (f: (r: KlaxonRun) => number) => median(klaxon.map(f));
  const am = median(alertmanager.map((r) => r.alertsPerSecond));
  console.log(
    `${'medians'.padEnd(12)} accepted ${fmt(m((r) => r.acceptedPerSecond))}/s, end to end ${fmt(m((r) => r.endToEndPerSecond))}/s, caught up ${(m((r) => r.caughtUpMs) / 1000).toFixed(2)} s; Alertmanager ${fmt(am)}/s; end-to-end ratio ${(m((r) => r.endToEndPerSecond) / am).toFixed(3)}`,
  );
}
