import { writeFileSync } from 'node:fs';
import { startFakeTwilio, tempDir, type FakeTwilio } from '@klaxon/testing';
import { BATCH, CONNECTIONS, firingAlertsOf, fixture } from './alert-load.ts';
import { startFullKlaxon, until, type FullKlaxon } from './full-klaxon.ts';
import { httpLoad } from './http-load.ts';
import { cpuBetween, threadCpuSeconds } from './proc-cpu.ts';
import { fmt, median, percentile } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROBES = Number(process.env.BENCH_PROBES ?? 40);
const PROBE_EVERY_MS = 500;
const STORM_SHARE = 0.5;
const WEBHOOK_TOKEN = 'bench-webhook-token-000001';
const AM_TOKEN = 'bench-alertmanager-token-01';

const probePhone = (n: number) => `+1555020${String(n).padStart(4, '0')}`;

/**
 * The shipped runbook, with one contact per probe: a probe is a new P1 group whose L1 is that contact alone, by
 * SMS, so the storm's pages (all to the on-call engineer, held by the throttle) never stand in its way.
 */
function benchConfig(probes: number): string {
  const ids = Array.from({ length: probes }, (_, n) => n);
  return [
    'severities:',
    '  P1: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }',
    '  P2: { ackTimeout: 15m, escalateAfter: [2h, 4h], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }',
    '  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }',
    '  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }',
    'contacts:',
    '  alice: { phone: "+15550100001", email: alice@example.com, timezone: Europe/Berlin }',
    ...ids.map((n) => `  probe-${n}: { phone: "${probePhone(n)}", timezone: UTC }`),
    'policies:',
    '  default: { levels: { L1: { targets: [contact:alice], channels: [sms, voice, email] } } }',
    ...ids.map((n) => `  probe-${n}: { levels: { L1: { targets: [contact:probe-${n}], channels: [sms] } } }`),
    'routes:',
    ...ids.map((n) => `  - { match: { probe: "${n}" }, policy: probe-${n} }`),
    '  - { match: {}, policy: default }',
    'severityFrom:',
    '  severity: { critical: P1, error: P2, warning: P3, info: P4 }',
    'integrations:',
    `  alertmanager: { token: ${AM_TOKEN} }`,
    `  webhooks: { token: ${WEBHOOK_TOKEN} }`,
    'api: { tokens: [bench-api-token-0000000001] }',
    '',
  ].join('\n');
}

const notification = (n: number) =>
  JSON.stringify({
    ...fixture,
    groupKey: `{}:{alertname="storm-${n % 100}"}`,
    alerts: firingAlertsOf(n),
  });

/** Background load paced at `alertsPerSecond` (an open loop over a few connections), until `stop()`. */
function pacedStorm(ingest: number, alertsPerSecond: number, from: number) {
  const requestsPerSecond = alertsPerSecond / BATCH;
  const start = performance.now();
  let next = 0;
  let stopped = false;
  let refused = 0;
  const senders = Array.from({ length: CONNECTIONS }, async () => {
    while (!stopped) {
      const n = next++;
      const due = start + (n / requestsPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) return;
      const response = await fetch(`http://127.0.0.1:${ingest}/api/v1/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
        body: notification(from + n),
      });
      if (response.status !== 202) refused++;
      await response.arrayBuffer();
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(senders);
      return { sent: next, refused, seconds: (performance.now() - start) / 1000 };
    },
  };
}

/** New P1 groups, one every 0.5 s, each to its own contact: ms from its 202 to its SMS at the Twilio stand-in. */
async function probe(klaxon: FullKlaxon, twilio: FakeTwilio, first: number, count: number): Promise<number[]> {
  const latencies: Promise<number>[] = [];
  for (let n = first; n < first + count; n++) {
    const tick = new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    const response = await fetch(`http://127.0.0.1:${klaxon.ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        dedup_key: `probe-${n}`,
        payload: { summary: `Probe ${n}`, source: 'bench', severity: 'critical', custom_details: { probe: String(n) } },
      }),
    });
    const accepted = Date.now();
    if (response.status !== 202) throw new Error(`ingest answered ${response.status} to a probe`);
    await response.arrayBuffer();
    latencies.push(
      until(async () => twilio.requests.some((r) => r.params.To === probePhone(n)), 60_000, `probe ${n}'s SMS`).then(
        () => twilio.requests.find((r) => r.params.To === probePhone(n))!.at.getTime() - accepted,
      ),
    );
    await tick;
  }
  return Promise.all(latencies);
}

interface RunResult {
  /** The first page after start, apart: its code paths are cold (modules loaded, functions compiled on first use). */
  cold: number;
  idle: number[];
  storm: number[];
  maxAlertsPerSecond: number;
  stormAlertsPerSecond: number;
  refused: number;
  cpu: Map<string, number>;
  handledAlerts: number;
}

async function processed(escalation: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${escalation}/metrics`)).text();
  return [...text.matchAll(/^klaxon_alerts_processed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

async function once(): Promise<RunResult> {
  const twilio = await startFakeTwilio();
  const dir = tempDir('klaxon-bench-ttp-');
  const config = dir.file('klaxon.yaml');
  writeFileSync(config, benchConfig(PROBES * 2 + 1));
  const klaxon = await startFullKlaxon(
    {
      KLAXON_DATA_DIR: dir.path,
      KLAXON_CONFIG: config,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15559990000',
      TWILIO_API_URL: twilio.url,
    },
    'ignore',
  );
  try {
    const [cold] = await probe(klaxon, twilio, PROBES * 2, 1);
    const idle = await probe(klaxon, twilio, 0, PROBES);
    // The maximum, closed loop (after a warm-up), as the ingest bench measures it; then half of it, paced.
    const closed = (seconds: number, from: number) =>
      httpLoad({
        url: `http://127.0.0.1:${klaxon.ingest}/api/v1/alertmanager`,
        headers: { authorization: `Bearer ${AM_TOKEN}` },
        body: (n) => notification(from + n),
        alertsPerRequest: BATCH,
        connections: CONNECTIONS,
        seconds,
        status: 202,
      });
    await closed(3, 1_000_000);
    const max = await closed(3, 2_000_000);
    const before = await processed(klaxon.escalation);
    const cpuBefore = threadCpuSeconds(klaxon.pid);
    const storm = pacedStorm(klaxon.ingest, max.alertsPerSecond * STORM_SHARE, 3_000_000);
    await new Promise((r) => setTimeout(r, 1000));
    const underStorm = await probe(klaxon, twilio, PROBES, PROBES);
    const sent = await storm.stop();
    const cpu = cpuBetween(cpuBefore, threadCpuSeconds(klaxon.pid));
    const handledAlerts = (await processed(klaxon.escalation)) - before;
    return {
      cold: cold!,
      idle,
      storm: underStorm,
      maxAlertsPerSecond: max.alertsPerSecond,
      stormAlertsPerSecond: (sent.sent * BATCH) / sent.seconds,
      refused: sent.refused,
      cpu,
      handledAlerts,
    };
  } finally {
    await klaxon.stop();
    await twilio.close();
    dir.remove();
  }
}

const summary = (ms: number[]) =>
  `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;

export async function timeToPageBench(): Promise<void> {
  console.log(
    `time to page (full pnpm start): ${PROBES} new P1 groups every ${PROBE_EVERY_MS} ms, each to its own contact, from the 202 to its SMS at a Twilio stand-in; the first page after start apart (cold code), then idle, then under Alertmanager notifications of ${BATCH} alerts at ${STORM_SHARE * 100}% of the measured maximum; ${RUNS} runs`,
  );
  const runs: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    runs.push(r);
    const perAlert = [...r.cpu]
      .filter(([, s]) => s > 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([name, s]) => `${name} ${((s / r.handledAlerts) * 1e6).toFixed(1)}`)
      .join(', ');
    console.log(
      `  run ${i + 1}: first page after start ${r.cold.toFixed(0)} ms; idle ${summary(r.idle)}; storm ${fmt(r.stormAlertsPerSecond)} alerts/s (max ${fmt(r.maxAlertsPerSecond)}, ${r.refused} refused): ${summary(r.storm)}; CPU µs per alert handled by thread: ${perAlert}`,
    );
  }
  console.log(`${'first page after start, median'.padEnd(36)} ${median(runs.map((r) => r.cold)).toFixed(0)} ms`);
  console.log(
    `${'idle, median of runs'.padEnd(36)} p50 ${median(runs.map((r) => percentile(r.idle, 50))).toFixed(0)} ms, p99 ${median(runs.map((r) => percentile(r.idle, 99))).toFixed(0)} ms`,
  );
  console.log(
    `${'under a storm, median of runs'.padEnd(36)} p50 ${median(runs.map((r) => percentile(r.storm, 50))).toFixed(0)} ms, p99 ${median(runs.map((r) => percentile(r.storm, 99))).toFixed(0)} ms, max ${median(runs.map((r) => Math.max(...r.storm))).toFixed(0)} ms`,
  );
}
