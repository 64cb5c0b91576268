import { writeFileSync } from 'node:fs';
import { startFakeTwilio, tempDir } from '@klaxon/testing';
import { startFullKlaxon, until } from './full-klaxon.ts';
import { fmt, percentile } from './stats.ts';

const OPEN = Number(process.env.BENCH_OPEN ?? 10_000);
const PROBES = Number(process.env.BENCH_PROBES ?? 200);
const PROBE_SECONDS = 20;
const SENDERS = 16;
const TOKEN = 'bench-webhook-token-000001';
const API = 'bench-api-token-0000000001';

/**
 * Open incidents that stay open (P3, acknowledgement timeout 1 h) and probes whose 10-second P1
 * acknowledgement timeout falls due while they are open; all pages go to one contact, throttled as shipped.
 */
const config = `severities:
  P1: { ackTimeout: 10s, escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
contacts:
  alice: { phone: "+15550100001" }
  tom:   { phone: "+15550100003" }
schedules: {}
policies:
  default:
    levels:
      L1: { targets: [contact:alice], channels: [sms] }
      L2: { targets: [contact:tom], channels: [sms] }
routes:
  - match: {}
    policy: default
integrations:
  webhooks: { token: ${TOKEN} }
api:
  tokens: [${API}]
`;

/** `pnpm bench timers`: how late escalation timers fire on the full `pnpm start` while OPEN incidents are open. */
export async function timersBench(): Promise<void> {
  console.log(
    `timers: ${fmt(OPEN)} open incidents, then ${PROBES} P1 probes over ${PROBE_SECONDS} s whose 10 s ack timeout falls due among them`,
  );
  const twilio = await startFakeTwilio();
  const dir = tempDir('klaxon-bench-timers-');
  writeFileSync(dir.file('klaxon.yaml'), config);
  const klaxon = await startFullKlaxon({
    KLAXON_DATA_DIR: dir.file('data'),
    KLAXON_CONFIG: dir.file('klaxon.yaml'),
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15559990000',
    TWILIO_API_URL: twilio.url,
  });
  const { ingest, escalation } = klaxon;
  const send = async (key: string, severity: string) => {
    const body = {
      routing_key: TOKEN,
      event_action: 'trigger',
      dedup_key: key,
      payload: { summary: key, source: 'bench', severity },
    };
    const response = await fetch(`http://127.0.0.1:${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    await response.arrayBuffer();
  };
  const api = async <T>(path: string) =>
    (await (
      await fetch(`http://127.0.0.1:${escalation}${path}`, { headers: { authorization: `Bearer ${API}` } })
    ).json()) as T;
  try {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < OPEN) await send(`open-${next++}`, 'warning');
      }),
    );
    const metricsOpened = async () => {
      const text = await (await fetch(`http://127.0.0.1:${escalation}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('klaxon_incidents_opened_total'))
        .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    await until(async () => (await metricsOpened()) >= OPEN, 600_000, 'the open incidents');
    console.log(
      `${'timers: open incidents in place'.padEnd(48)} ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (let i = 0; i < PROBES; i++) {
      await send(`probe-${i}`, 'critical');
      await new Promise((r) => setTimeout(r, (PROBE_SECONDS * 1000) / PROBES));
    }
    const probes = async () =>
      (
        await api<{ incidents: Array<{ id: string; severity: string; level: string }> }>(
          '/api/v1/incidents?severity=P1&limit=1000',
        )
      ).incidents;
    let seen: Array<{ level: string }> = [];
    await until(
      async () => {
        seen = await probes();
        return seen.length === PROBES && seen.every((i) => i.level !== 'L1');
      },
      120_000,
      'every probe escalated',
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: ${seen.length} probes, levels ${JSON.stringify(seen.reduce<Record<string, number>>((n, i) => ({ ...n, [i.level]: (n[i.level] ?? 0) + 1 }), {}))}`,
      );
    });
    const lateness: number[] = [];
    for (const { id } of await probes()) {
      const { timeline } = await api<{
        timeline: Array<{ type: string; dueAt?: string; at?: string; reason?: string }>;
      }>(`/api/v1/incidents/${id}`);
      const due = timeline.find((e) => e.type === 'EscalationScheduled' && e.reason === 'ack-timeout')!.dueAt!;
      const fired = timeline.find((e) => e.type === 'Escalated')!.at!;
      lateness.push(Date.parse(fired) - Date.parse(due));
    }
    console.log(
      `${`timers: lateness with ${fmt(OPEN)} open`.padEnd(48)} p50 ${percentile(lateness, 50)} ms, p99 ${percentile(lateness, 99)} ms, max ${Math.max(...lateness)} ms (${lateness.length} timers)`,
    );
  } finally {
    await klaxon.stop();
    await twilio.close();
    dir.remove();
  }
}
