import { writeFileSync } from 'node:fs';
import {
  alertmanagerAvailable,
  startAlertmanagerWithConfig,
  startFakeTwilio,
  tempDir,
  type FakeTwilio,
  type RealAlertmanager,
} from '@klaxon/testing';
import { afterEach, expect, it } from 'vitest';
import { freePort, startKlaxon, waitForReady, type RunningKlaxon } from './klaxon-process.ts';
import { quickRunbookYaml } from './quick-runbook.ts';

const API_TOKEN = 'heartbeats-process-api-token-01';
const EVENTS_TOKEN = 'heartbeats-process-events-token-1';
const AM_TOKEN = 'heartbeats-process-am-token-0001';
const ALICE = '+15550100001';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stack {
  ingest: string;
  escalation: string;
  twilio: FakeTwilio;
  start(): Promise<RunningKlaxon>;
  kill(klaxon: RunningKlaxon): Promise<void>;
  beat(name: string): Promise<number>;
  api<T>(path: string): Promise<T>;
  /** Every incident opened by a HeartbeatMissed alert. */
  missedIncidents(): Promise<Array<{ id: string; status: string; title: string }>>;
  /** SMS sent to alice (L1) about a missed heartbeat. */
  pages(): string[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `pnpm start` with the quick runbook (alice at L1 by SMS, ack timeout 1 h) and these heartbeats. */
async function stack(heartbeats: string): Promise<Stack> {
  const twilio = await startFakeTwilio();
  const data = tempDir('klaxon-heartbeats-');
  writeFileSync(
    data.file('klaxon.yaml'),
    `${quickRunbookYaml({ ackTimeout: '1h', webhookToken: EVENTS_TOKEN, apiToken: API_TOKEN }).replace(
      'integrations:\n',
      `integrations:\n  alertmanager: { token: ${AM_TOKEN} }\n`,
    )}heartbeats:\n${heartbeats}`,
  );
  const ports = { ingest: await freePort(), escalation: await freePort(), projection: await freePort() };
  const env = {
    KLAXON_CONFIG: data.file('klaxon.yaml'),
    KLAXON_DATA_DIR: data.path,
    KLAXON_HOST: '127.0.0.1',
    INGEST_PORT: String(ports.ingest),
    ESCALATION_PORT: String(ports.escalation),
    PROJECTION_PORT: String(ports.projection),
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15550009999',
    TWILIO_API_URL: twilio.url,
  };
  const running: RunningKlaxon[] = [];
  cleanups.push(async () => {
    for (const klaxon of running)
      if (klaxon.process.exitCode === null && klaxon.process.signalCode === null) await klaxon.stop();
    await twilio.close();
    data.remove();
  });
  const ingest = `http://127.0.0.1:${ports.ingest}`;
  const escalation = `http://127.0.0.1:${ports.escalation}`;
  const api = async <T>(path: string) => {
    const answer = await fetch(`${escalation}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(answer.status, path).toBe(200);
    return (await answer.json()) as T;
  };
  return {
    ingest,
    escalation,
    twilio,
    api,
    async start() {
      const klaxon = startKlaxon(env);
      running.push(klaxon);
      await waitForReady(klaxon, [`${ingest}/ready`, `${escalation}/ready`], 90_000);
      return klaxon;
    },
    async kill(klaxon) {
      klaxon.process.kill('SIGKILL');
      if (klaxon.process.exitCode === null && klaxon.process.signalCode === null)
        await new Promise((r) => klaxon.process.once('exit', r));
      expect(klaxon.process.signalCode).toBe('SIGKILL');
    },
    async beat(name) {
      const answer = await fetch(`${ingest}/api/v1/heartbeats/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${EVENTS_TOKEN}` },
      });
      expect(answer.status).toBe(202);
      return Date.now();
    },
    async missedIncidents() {
      const { incidents } = await api<{ incidents: Array<{ id: string; status: string; title: string }> }>(
        '/api/v1/incidents?limit=100',
      );
      return incidents.filter((i) => i.title.startsWith('Heartbeat '));
    },
    pages: () =>
      twilio
        .messages()
        .filter((m) => m.To === ALICE && m.Body.includes('Heartbeat'))
        .map((m) => m.Body),
  };
}

const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

it(
  'pnpm start: a heartbeat of 5 s that stops opens an incident that pages within its grace; the beats coming back resolve it',
  { timeout: 150_000 },
  async () => {
    const s = await stack('  nightly: { interval: 5s, grace: 3s, labels: { severity: critical, service: backup } }\n');
    await s.start();

    // Beating every second for longer than interval + grace: nobody is paged.
    let lastBeat = 0;
    for (let i = 0; i < 10; i++) {
      lastBeat = await s.beat('nightly');
      await sleep(1000);
    }
    expect(s.pages()).toEqual([]);
    expect(await s.missedIncidents()).toEqual([]);
    // The last beat as ingest stamped and escalation wrote it (a second after it was sent).
    const [written] = await s.api<Array<{ lastBeatAt: string }>>('/api/v1/heartbeats');
    const lastWritten = Date.parse(written!.lastBeatAt);
    expect(lastWritten).toBeLessThanOrEqual(lastBeat);
    expect(lastBeat - lastWritten).toBeLessThan(1000);

    // The beats stop: the page comes once interval + grace have passed since the last one, and not before.
    const paged = await until('the page', () => (s.pages().length > 0 ? Date.now() : undefined), 30_000);
    const sms = s.twilio.requests.find((r) => r.resource === 'Messages' && r.params.Body?.includes('Heartbeat'))!;
    expect(sms.at.getTime() - lastWritten).toBeGreaterThanOrEqual(5000 + 3000);
    expect(paged - lastBeat).toBeLessThan(5000 + 3000 + 3000);
    expect(s.pages()).toEqual([expect.stringContaining('Heartbeat nightly missed')]);
    const [incident] = await s.missedIncidents();
    expect(incident).toMatchObject({ status: 'open' });
    const monitors = await s.api<Array<{ name: string; state: string }>>('/api/v1/heartbeats');
    expect(monitors).toEqual([expect.objectContaining({ name: 'nightly', state: 'missed' })]);

    // The next beat resolves it.
    await s.beat('nightly');
    await until('the resolution', async () =>
      (await s.missedIncidents()).every((i) => i.status === 'resolved') ? true : undefined,
    );
    expect(await s.missedIncidents()).toHaveLength(1);
    expect(await s.api<Array<{ state: string }>>('/api/v1/heartbeats')).toEqual([
      expect.objectContaining({ name: 'nightly', state: 'ok' }),
    ]);
    // One page, and (as it was paged) one word that it is over.
    expect(s.pages()).toEqual([
      expect.stringContaining('[P1] L1: Heartbeat nightly missed'),
      expect.stringContaining('RESOLVED #1 Heartbeat nightly missed'),
    ]);
  },
);

it(
  'pnpm start killed with SIGKILL while a heartbeat is due: after a restart it fires once, and once only across another SIGKILL',
  { timeout: 180_000 },
  async () => {
    const s = await stack('  nightly: { interval: 5s, grace: 2s, labels: { severity: critical, service: backup } }\n');
    const first = await s.start();
    // A beat within moments of the monitor being armed is not written (it moves the due time by less than the
    // throttle): the beat comes a little later, so the test knows which one was written.
    await sleep(1500);
    await s.beat('nightly');
    await until('the beat written', async () =>
      (await s.api<Array<{ lastBeatAt: string | null }>>('/api/v1/heartbeats'))[0]?.lastBeatAt ? true : undefined,
    );
    await s.kill(first);
    // Down for longer than interval + grace: the miss falls due while nothing runs.
    await sleep(9000);
    expect(s.pages()).toEqual([]);

    const second = await s.start();
    await until('the page after the restart', () => (s.pages().length > 0 ? true : undefined));
    await until('the incident', async () => ((await s.missedIncidents()).length > 0 ? true : undefined));
    // Time for a second miss or a second page, were there to be one.
    await sleep(3000);
    expect(s.pages()).toHaveLength(1);
    expect(await s.missedIncidents()).toEqual([expect.objectContaining({ status: 'open' })]);

    // Killed again with the miss written: the restart raises the same alert, which pages nobody again.
    await s.kill(second);
    await s.start();
    await sleep(4000);
    expect(s.pages()).toHaveLength(1);
    expect(await s.missedIncidents()).toEqual([expect.objectContaining({ status: 'open' })]);
  },
);

it.runIf(alertmanagerAvailable('Watchdog through a real Alertmanager'))(
  "a real Alertmanager repeating its always-firing Watchdog keeps a monitor alive; when Alertmanager stops, the monitor's miss pages",
  { timeout: 150_000 },
  async () => {
    const s = await stack(
      '  prometheus: { interval: 3s, grace: 2s, labels: { severity: critical, team: sre }, match: { alertname: Watchdog } }\n',
    );
    await s.start();
    const alertmanager: RealAlertmanager = await startAlertmanagerWithConfig(`route:
  receiver: klaxon
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1s
receivers:
  - name: klaxon
    webhook_configs:
      - url: ${JSON.stringify(`${s.ingest}/api/v1/alertmanager`)}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${JSON.stringify(AM_TOKEN)}
`);
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await alertmanager.stop();
    });
    await alertmanager.addAlert({ alertname: 'Watchdog', severity: 'none' }, { summary: 'always firing' });

    // Four intervals and more: Alertmanager's repeats are the beats, the Watchdog itself pages nobody.
    const beats = new Set<string>();
    for (let i = 0; i < 15; i++) {
      await sleep(1000);
      const [monitor] = await s.api<Array<{ state: string; lastBeatAt: string | null }>>('/api/v1/heartbeats');
      expect(monitor!.state).toBe('ok');
      if (monitor!.lastBeatAt) beats.add(monitor!.lastBeatAt);
    }
    expect(beats.size).toBeGreaterThanOrEqual(4);
    expect(s.twilio.messages()).toEqual([]);
    expect(await s.missedIncidents()).toEqual([]);
    const { incidents } = await s.api<{ incidents: unknown[] }>('/api/v1/incidents');
    expect(incidents).toEqual([]);

    // Alertmanager dies: within interval + grace the monitor is missed, and it pages.
    await alertmanager.stop();
    stopped = true;
    await until('the page', () => (s.pages().length > 0 ? true : undefined), 20_000);
    expect(s.pages()).toEqual([expect.stringContaining('Heartbeat prometheus missed')]);
  },
);
