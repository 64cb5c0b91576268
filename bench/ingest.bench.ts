import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tempDir } from '@klaxon/testing';
import { httpLoad } from './http-load.ts';
import { fmt, median, report } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BATCH = 10;

const fixture = JSON.parse(
  readFileSync(new URL('../services/ingest/test/fixtures/alertmanager-0.25-firing.json', import.meta.url), 'utf8'),
) as {
  alerts: Array<Record<string, unknown>>;
};

function batch(n: number): string {
  const [alert] = fixture.alerts;
  const alerts = Array.from({ length: BATCH }, (_, i) => ({
    ...alert,
    fingerprint: `f${n}-${i}`,
    labels: { ...(alert!.labels as object), instance: `i${i}` },
  }));
  return JSON.stringify({ ...fixture, groupKey: `bench-${n % 100}`, alerts });
}

const run = (url: string) =>
  httpLoad({
    url,
    headers: { authorization: 'Bearer bench-token-0123456789' },
    body: batch,
    alertsPerRequest: BATCH,
    connections: CONCURRENCY,
    seconds: SECONDS,
    status: 202,
  });

export async function ingestBench(): Promise<void> {
  const dir = tempDir('klaxon-bench-ingest-');
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./ingest-server.ts', import.meta.url).pathname, dir.path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout! });
  const base = String((await lines[Symbol.asyncIterator]().next()).value);
  console.log(
    `ingest: ${BATCH}-alert Alertmanager batches, ${CONCURRENCY} concurrent clients, ${SECONDS} s per run, ${RUNS} runs (server in its own process, embedded log)`,
  );
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await run(`${base}/api/v1/alertmanager`));
  report(
    'ingest: alerts accepted (202 after fsync)',
    results.map((r) => r.alertsPerSecond),
    'alerts/s',
  );
  console.log(
    `${'ingest: request latency'.padEnd(48)} median p50 ${median(results.map((r) => r.p50Ms)).toFixed(1)} ms, median p99 ${median(results.map((r) => r.p99Ms)).toFixed(1)} ms   (p99 runs: ${results.map((r) => r.p99Ms.toFixed(1)).join(', ')})`,
  );
  console.log(`${''.padEnd(48)} (${fmt(results.reduce((s, r) => s + r.alertsPerSecond * SECONDS, 0))} alerts in all)`);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  dir.remove();
}
