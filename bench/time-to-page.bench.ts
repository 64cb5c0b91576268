import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tempDir } from '@klaxon/testing';
import { BATCH, CONNECTIONS, firingAlertsOf, fixture } from './alert-load.ts';
import { alertsProcessed, startFullKlaxon } from './full-klaxon.ts';
import { httpLoad } from './http-load.ts';
import { cpuBetween, threadCpuSeconds } from './proc-cpu.ts';
import { probePhone, type Probe, type ProbeRequest } from './probes.ts';
import { BROKER_WARMUP_TEXT, startProductionKlaxon } from './services.ts';
import { describeStalls, startStallWatch, type Stall, type StallsSeen } from './stall-watch.ts';
import { fmt, median, percentile } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROBES = Number(process.env.BENCH_PROBES ?? 40);
const PROBE_EVERY_MS = 500;
/**
 * Calm probes: new groups further apart than a storm's openings (more than the second after which number
 * claims count openings as calm), as a page at 3 a.m. is the first in a while. The idle probes, every 0.5 s,
 * keep coming as far as the claims are concerned.
 */
const CALM_PROBES = Number(process.env.BENCH_CALM_PROBES ?? 8);
const CALM_EVERY_MS = 1500;
/** The storm, as a share of the maximum measured in the same run: the issue's targets are at half (0.5). */
const STORM_SHARE = Number(process.env.BENCH_STORM_SHARE ?? 0.5);
if (!(STORM_SHARE > 0 && STORM_SHARE <= 1))
  throw new Error(
    `BENCH_STORM_SHARE must be a share of the maximum above 0 and at most 1, not ${process.env.BENCH_STORM_SHARE}`,
  );
const WEBHOOK_TOKEN = 'bench-webhook-token-000001';
const AM_TOKEN = 'bench-alertmanager-token-01';
const API_TOKEN = 'bench-api-token-0000000001';

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
    `api: { tokens: [${API_TOKEN}] }`,
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

/** The probe thread: its Twilio stand-in's address and credentials, and a way to run probes on it. */
async function startProbeThread() {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./probe-thread.ts', import.meta.url).href);
  // Node 20 does not carry tsx's loader into a worker's entry file: the worker registers it, then imports it.
  const worker = new Worker(`import(${tsx}).then(({ register }) => (register(), import(${entry})))`, { eval: true });
  // One answer awaited at a time; a thread that fails or ends fails it, rather than leaving the bench waiting.
  let waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void } | undefined;
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (message: unknown) => waiting?.resolve(message));
  worker.on('error', (error) => waiting?.reject(error));
  void ended.then(() => waiting?.reject(new Error('bench: the probe thread ended')));
  const next = () => new Promise<unknown>((resolve, reject) => (waiting = { resolve, reject }));
  const twilio = (await next()) as { url: string; accountSid: string; authToken: string };
  return {
    twilio,
    /** New P1 groups, one every `everyMs`, each to its own contact: ms from its 202 to its SMS at the Twilio stand-in. */
    async probe(ingest: number, first: number, count: number, everyMs = PROBE_EVERY_MS): Promise<Probe[]> {
      const request: ProbeRequest = { ingest, webhookToken: WEBHOOK_TOKEN, first, count, everyMs };
      const answer = next() as Promise<{ probes?: Probe[]; error?: string }>;
      worker.postMessage(request);
      const { probes, error } = await answer;
      if (!probes) throw new Error(`bench: probes failed: ${error}`);
      return probes;
    },
    async close() {
      worker.postMessage('close');
      // It closes its server and ends itself; one that does not within a few seconds is ended.
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await ended;
      clearTimeout(timer);
    },
  };
}

/** The targets: a storm probe over SLOW_MS, or an idle one over IDLE_SLOW_MS, is looked into. */
const SLOW_MS = 50;
const IDLE_SLOW_MS = 10;
/** Of the probes over their target, how many are looked into. */
const SLOWEST = 5;

/**
 * Where a slow probe's time went: the store's times of its incident's facts, from its 202 (ingest, the bus,
 * escalation's consumer, routing, the append) to its page's request (the outbound pipeline) and on to its SMS.
 */
async function slowProbe(
  klaxon: { escalation: number },
  { n, accepted, ms }: Probe,
  stallsDuring: (from: number, to: number) => Stall[],
): Promise<string> {
  const api = (path: string) =>
    fetch(`http://127.0.0.1:${klaxon.escalation}${path}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    }).then((r) => r.json() as Promise<unknown>);
  const { incidents } = (await api(`/api/v1/incidents?q=${encodeURIComponent(`probe ${n}`)}`)) as {
    incidents: Array<{ id: string; title: string }>;
  };
  const incident = incidents.find((i) => i.title === `Probe ${n}`);
  if (!incident) return `#${n}: ${ms} ms (its incident not found)`;
  const { timeline } = (await api(`/api/v1/incidents/${incident.id}`)) as {
    timeline: Array<{ type: string; recordedAt: string }>;
  };
  const at = (type: string) => {
    const fact = timeline.find((f) => f.type === type);
    return fact ? `${Date.parse(fact.recordedAt) - accepted} ms` : '–';
  };
  const into = n < PROBES ? 'idle' : `${(1000 + (n - PROBES) * PROBE_EVERY_MS) / 1000} s into the storm`;
  const stalls = stallsDuring(accepted, accepted + ms)
    .map((s) => `${s.ms.toFixed(0)} ms at ${(s.start - accepted).toFixed(0)} ms on core ${s.core}`)
    .join(', ');
  return `#${n}, ${into}: ${ms} ms (opened at ${at('IncidentOpened')}, page requested at ${at('PageRequested')}; the machine stalled: ${stalls || 'no'})`;
}

/** The slowest probes over `limit` ms, and where their time went. */
async function slowest(
  klaxon: { escalation: number },
  probes: Probe[],
  limit: number,
  stallsDuring: (from: number, to: number) => Stall[],
): Promise<string[]> {
  const over = probes.filter((p) => p.ms > limit).sort((a, b) => b.ms - a.ms);
  const slow = await Promise.all(over.slice(0, SLOWEST).map((p) => slowProbe(klaxon, p, stallsDuring)));
  if (over.length > SLOWEST) slow.push(`${over.length - SLOWEST} more`);
  return slow;
}

interface RunResult {
  /** The first page after start, apart: its code paths are cold (modules loaded, functions compiled on first use). */
  cold: number;
  calm: number[];
  idle: number[];
  storm: number[];
  /** The slowest idle probes over IDLE_SLOW_MS and storm probes over SLOW_MS, and where their time went. */
  slowIdle: string[];
  slow: string[];
  /** The machine's stalls (stall-watch.ts) while the idle probes and the storm probes ran. */
  idleStalls: StallsSeen;
  stormStalls: StallsSeen;
  /** Of the idle probes over IDLE_SLOW_MS and the storm probes over SLOW_MS: how many met a stall, of how many. */
  slowMetStall: { idle: [number, number]; storm: [number, number] };
  maxAlertsPerSecond: number;
  stormAlertsPerSecond: number;
  refused: number;
  cpu: Map<string, number>;
  handledAlerts: number;
}

/** `BENCH_PATH=production`: the three services as processes on Kafka and PostgreSQL; by default `pnpm start`. */
const PATH = process.env.BENCH_PATH === 'production' ? 'production' : 'embedded';

async function startKlaxon(env: Record<string, string>, dataDir: string) {
  if (PATH === 'production')
    return startProductionKlaxon({ ...env, KLAXON_LINK_SECRET: 'bench-link-secret-0123456789abcdef' }, dataDir);
  const full = await startFullKlaxon({ ...env, KLAXON_DATA_DIR: dataDir }, 'ignore');
  return { ingest: full.ingest, escalation: full.escalation, cpu: () => threadCpuSeconds(full.pid), stop: full.stop };
}

async function once(): Promise<RunResult> {
  const probes = await startProbeThread();
  const stallWatch = startStallWatch();
  const { twilio } = probes;
  const dir = tempDir('klaxon-bench-ttp-');
  let running: Awaited<ReturnType<typeof startKlaxon>> | undefined;
  try {
    const config = dir.file('klaxon.yaml');
    writeFileSync(config, benchConfig(PROBES * 2 + 1 + CALM_PROBES));
    const klaxon = await startKlaxon(
      {
        KLAXON_CONFIG: config,
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+15559990000',
        TWILIO_API_URL: twilio.url,
      },
      dir.path,
    );
    running = klaxon;
    const [cold] = await probes.probe(klaxon.ingest, PROBES * 2, 1);
    // The first calm probe a full interval after the cold one, as every other after the one before.
    await new Promise((r) => setTimeout(r, CALM_EVERY_MS));
    const calm = await probes.probe(klaxon.ingest, PROBES * 2 + 1, CALM_PROBES, CALM_EVERY_MS);
    const idle = await probes.probe(klaxon.ingest, 0, PROBES);
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
    const before = await alertsProcessed(klaxon.escalation);
    const cpuBefore = klaxon.cpu();
    const storm = pacedStorm(klaxon.ingest, max.alertsPerSecond * STORM_SHARE, 3_000_000);
    await new Promise((r) => setTimeout(r, 1000));
    const underStorm = await probes.probe(klaxon.ingest, PROBES, PROBES);
    const sent = await storm.stop();
    const cpu = cpuBetween(cpuBefore, klaxon.cpu());
    const handledAlerts = (await alertsProcessed(klaxon.escalation)) - before;
    const during = (from: number, to: number) => stallWatch.during(from, to).stalls;
    const slowIdle = await slowest(klaxon, idle, IDLE_SLOW_MS, during);
    const slow = await slowest(klaxon, underStorm, SLOW_MS, during);
    const metStall = (ps: Probe[], limit: number): [number, number] => {
      const over = ps.filter((p) => p.ms > limit);
      return [over.filter((p) => during(p.accepted, p.accepted + p.ms).length > 0).length, over.length];
    };
    const spanOf = (ps: Probe[]) =>
      [Math.min(...ps.map((p) => p.accepted)), Math.max(...ps.map((p) => p.accepted + p.ms))] as const;
    return {
      cold: cold!.ms,
      calm: calm.map((p) => p.ms),
      idle: idle.map((p) => p.ms),
      storm: underStorm.map((p) => p.ms),
      slowIdle,
      slow,
      idleStalls: stallWatch.during(...spanOf(idle)),
      stormStalls: stallWatch.during(...spanOf(underStorm)),
      slowMetStall: { idle: metStall(idle, IDLE_SLOW_MS), storm: metStall(underStorm, SLOW_MS) },
      maxAlertsPerSecond: max.alertsPerSecond,
      stormAlertsPerSecond: (sent.sent * BATCH) / sent.seconds,
      refused: sent.refused,
      cpu,
      handledAlerts,
    };
  } finally {
    await stallWatch.stop();
    await running?.stop();
    await probes.close();
    dir.remove();
  }
}

const summary = (ms: number[]) =>
  `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;

export async function timeToPageBench(): Promise<void> {
  console.log(
    `time to page (${PATH === 'production' ? `the production path: three processes on Kafka (a new broker ${BROKER_WARMUP_TEXT}) and PostgreSQL` : 'full pnpm start'}): ${PROBES} new P1 groups every ${PROBE_EVERY_MS} ms, each to its own contact, from the 202 to its SMS at a Twilio stand-in; the first page after start apart (cold code), then ${CALM_PROBES} calm ones every ${CALM_EVERY_MS} ms, then idle, then under Alertmanager notifications of ${BATCH} alerts at ${STORM_SHARE * 100}% of the measured maximum; ${RUNS} runs`,
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
      `  run ${i + 1}: first page after start ${r.cold.toFixed(0)} ms; calm ${summary(r.calm)}; idle ${summary(r.idle)} (machine stalls: ${describeStalls(r.idleStalls)}); storm ${fmt(r.stormAlertsPerSecond)} alerts/s (max ${fmt(r.maxAlertsPerSecond)}, ${r.refused} refused): ${summary(r.storm)} (machine stalls: ${describeStalls(r.stormStalls)}); CPU µs per alert handled by ${PATH === 'production' ? 'process' : 'thread'}: ${perAlert}`,
    );
    if (r.slowIdle.length > 0)
      console.log(
        `    idle probes over ${IDLE_SLOW_MS} ms, slowest first, times from their 202: ${r.slowIdle.join('; ')}`,
      );
    if (r.slow.length > 0)
      console.log(`    storm probes over ${SLOW_MS} ms, slowest first, times from their 202: ${r.slow.join('; ')}`);
  }
  console.log(`${'first page after start, median'.padEnd(36)} ${median(runs.map((r) => r.cold)).toFixed(0)} ms`);
  console.log(
    `${'calm, median of runs'.padEnd(36)} p50 ${median(runs.map((r) => percentile(r.calm, 50))).toFixed(0)} ms, max ${median(runs.map((r) => Math.max(...r.calm))).toFixed(0)} ms`,
  );
  console.log(
    `${'idle, median of runs'.padEnd(36)} p50 ${median(runs.map((r) => percentile(r.idle, 50))).toFixed(0)} ms, p99 ${median(runs.map((r) => percentile(r.idle, 99))).toFixed(0)} ms`,
  );
  console.log(
    `${'under a storm, median of runs'.padEnd(36)} p50 ${median(runs.map((r) => percentile(r.storm, 50))).toFixed(0)} ms, p99 ${median(runs.map((r) => percentile(r.storm, 99))).toFixed(0)} ms, max ${median(runs.map((r) => Math.max(...r.storm))).toFixed(0)} ms`,
  );
  // A run's p99 of 40 probes is nearly its maximum: one stall of the machine decides it. Every run's probes
  // together say more of a change measured on a noisy machine (the targets stay per run).
  const pooled = (label: string, ms: number[]) =>
    console.log(
      `${label.padEnd(36)} ${summary(ms)}, over ${IDLE_SLOW_MS} ms: ${ms.filter((m) => m > IDLE_SLOW_MS).length} of ${ms.length}, over ${SLOW_MS} ms: ${ms.filter((m) => m > SLOW_MS).length}`,
    );
  pooled(
    "idle, every run's probes",
    runs.flatMap((r) => r.idle),
  );
  pooled(
    "under a storm, every run's probes",
    runs.flatMap((r) => r.storm),
  );
  const met = (which: 'idle' | 'storm') => {
    const [m, n] = runs.reduce<[number, number]>(
      ([a, b], r) => [a + r.slowMetStall[which][0], b + r.slowMetStall[which][1]],
      [0, 0],
    );
    return `${m} of ${n}`;
  };
  console.log(
    `${'slow probes that met a machine stall'.padEnd(36)} idle over ${IDLE_SLOW_MS} ms: ${met('idle')}; under a storm over ${SLOW_MS} ms: ${met('storm')}`,
  );
}
