import { startFakeTwilio, startSmtpSink, tempDir } from '@klaxon/testing';
import { startFullKlaxon, until } from './full-klaxon.ts';
import { fmt, median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 2000);
const SENDERS = 16;
const L1_CHANNELS = 3; // the shipped policy pages L1 by SMS, call and email

const sumOf = (metrics: string, name: string) =>
  metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

/** One storm against the full `pnpm start` (three services, one process, embedded stores) with providers on loopback. */
async function stormOnce(): Promise<{
  acceptSeconds: number;
  handedSeconds: number;
  settleSeconds: number;
  perContact: Map<string, number>;
}> {
  const [twilio, smtp] = await Promise.all([startFakeTwilio(), startSmtpSink()]);
  const dir = tempDir('klaxon-bench-storm-');
  const klaxon = await startFullKlaxon({
    KLAXON_DATA_DIR: dir.path,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15559990000',
    TWILIO_API_URL: twilio.url,
    SMTP_URL: smtp.url,
  });
  const { ingest, escalation } = klaxon;
  try {
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < GROUPS) {
          const n = next++;
          const body = {
            routing_key: 'change-me-webhook-token',
            event_action: 'trigger',
            dedup_key: `storm-${n}`,
            payload: {
              summary: `Disk full on db-${n}`,
              source: `db-${n}`,
              severity: 'critical',
              custom_details: { service: `svc-${n % 20}` },
            },
          };
          const response = await fetch(`http://127.0.0.1:${ingest}/api/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
          await response.arrayBuffer();
        }
      }),
    );
    const accepted = performance.now();
    const progress = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${escalation}/metrics`)).text();
      return {
        opened: sumOf(metrics, 'klaxon_incidents_opened_total'),
        sent: sumOf(metrics, 'klaxon_pages_sent_total'),
        held: sumOf(metrics, 'klaxon_pages_held'),
      };
    };
    await until(
      async () => {
        const p = await progress();
        return p.opened >= GROUPS && p.sent + p.held >= GROUPS * L1_CHANNELS;
      },
      300_000,
      'every incident open and its pages sent or held',
    );
    const handed = performance.now();
    await until(async () => (await progress()).sent >= GROUPS * L1_CHANNELS, 300_000, 'every page delivered');
    const settled = performance.now();
    const perContact = new Map<string, number>();
    for (const r of twilio.requests) perContact.set(r.params.To!, (perContact.get(r.params.To!) ?? 0) + 1);
    for (const m of smtp.mails) {
      const to = m.to && 'text' in m.to ? m.to.text : '?';
      perContact.set(to, (perContact.get(to) ?? 0) + 1);
    }
    return {
      acceptSeconds: (accepted - start) / 1000,
      handedSeconds: (handed - accepted) / 1000,
      settleSeconds: (settled - accepted) / 1000,
      perContact,
    };
  } finally {
    await klaxon.stop();
    await Promise.all([twilio.close(), smtp.close()]);
    dir.remove();
  }
}

export async function stormBench(): Promise<void> {
  console.log(
    `storm: ${GROUPS} distinct P1 groups at once from ${SENDERS} senders through the events API, full pnpm start, ${RUNS} runs`,
  );
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await stormOnce());
  const secs = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(
    `${'storm: all accepted (last 202)'.padEnd(48)} median ${median(runs.map((r) => r.acceptSeconds)).toFixed(2)} s   (runs: ${secs(runs.map((r) => r.acceptSeconds))}; ${fmt(GROUPS / median(runs.map((r) => r.acceptSeconds)))} alerts/s)`,
  );
  console.log(
    `${'storm: all open, every L1 page sent or held'.padEnd(48)} median ${median(runs.map((r) => r.handedSeconds)).toFixed(2)} s after the last 202   (runs: ${secs(runs.map((r) => r.handedSeconds))}; held = waiting for the contact's next, bundled, message)`,
  );
  console.log(
    `${'storm: every L1 page delivered'.padEnd(48)} median ${median(runs.map((r) => r.settleSeconds)).toFixed(2)} s after the last 202   (runs: ${secs(runs.map((r) => r.settleSeconds))}; the throttle's next message)`,
  );
  const last = runs.at(-1)!;
  console.log(
    `${'storm: messages per contact (last run)'.padEnd(48)} ${[...last.perContact].map(([to, n]) => `${to}: ${n}`).join(', ')}`,
  );
}
