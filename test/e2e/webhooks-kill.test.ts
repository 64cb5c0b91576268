import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startWebhookReceiver, tempDir, webhookSecret, type WebhookReceiver } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { freePort, REPO_ROOT, startKlaxon, waitForReady, type RunningKlaxon } from './klaxon-process.ts';
import { quickRunbookYaml } from './quick-runbook.ts';

const API_TOKEN = 'webhooks-kill-api-token-0001';
const EVENTS_TOKEN = 'webhooks-kill-events-token-01';
const INCIDENTS = 8;

const until = async (what: string, done: () => boolean, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const killed = async (klaxon: RunningKlaxon) => {
  klaxon.process.kill('SIGKILL');
  if (klaxon.process.exitCode === null && klaxon.process.signalCode === null)
    await new Promise((r) => klaxon.process.once('exit', r));
  expect(klaxon.process.signalCode).toBe('SIGKILL');
};

/** Each incident's messages in the order they first arrived, a message delivered again counted once. */
const firstArrivals = (receiver: WebhookReceiver) => {
  const seen = new Set<string>();
  const byIncident = new Map<string, string[]>();
  for (const d of receiver.deliveries) {
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    const id = d.body.data.incident.id as string;
    byIncident.set(id, [...(byIncident.get(id) ?? []), d.body.type as string]);
  }
  return byIncident;
};

it(
  'pnpm start killed with SIGKILL while its webhook receiver is down, and again in the middle of delivering: every message arrives at least once, each incident’s in order, every one verified; the CLI replays them',
  { timeout: 180_000 },
  async () => {
    const receiver = await startWebhookReceiver(webhookSecret(), { delayMs: 40 });
    const data = tempDir('klaxon-webhooks-kill-');
    const config = `${quickRunbookYaml({ ackTimeout: '1h', webhookToken: EVENTS_TOKEN, apiToken: API_TOKEN })}webhooks:
  - name: tickets
    url: ${receiver.url}
    events: [incident.opened, incident.acknowledged, incident.resolved]
    secret: \${TICKETS_WEBHOOK_SECRET}
`;
    writeFileSync(data.file('klaxon.yaml'), config);
    const ports = { ingest: await freePort(), escalation: await freePort(), projection: await freePort() };
    const env = {
      KLAXON_CONFIG: data.file('klaxon.yaml'),
      KLAXON_DATA_DIR: data.path,
      KLAXON_HOST: '127.0.0.1',
      INGEST_PORT: String(ports.ingest),
      ESCALATION_PORT: String(ports.escalation),
      PROJECTION_PORT: String(ports.projection),
      TICKETS_WEBHOOK_SECRET: receiver.secret,
    };
    const escalation = `http://127.0.0.1:${ports.escalation}`;
    const running: RunningKlaxon[] = [];
    const start = async () => {
      const klaxon = startKlaxon(env);
      running.push(klaxon);
      await waitForReady(klaxon, [`http://127.0.0.1:${ports.ingest}/ready`, `${escalation}/ready`], 90_000);
      return klaxon;
    };
    const api = async (method: 'GET' | 'POST', path: string) => {
      const answer = await fetch(`${escalation}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBeLessThan(300);
      return answer.json() as Promise<Record<string, unknown>>;
    };
    try {
      receiver.down = true;
      const since = new Date().toISOString();
      const first = await start();
      for (let i = 0; i < INCIDENTS; i++) {
        const answer = await fetch(`http://127.0.0.1:${ports.ingest}/api/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            routing_key: EVENTS_TOKEN,
            event_action: 'trigger',
            dedup_key: `disk-full-db${i}`,
            payload: { summary: `Disk full on db${i}`, source: `db${i}`, severity: 'critical' },
          }),
        });
        expect(answer.status).toBe(202);
      }
      let ids: string[] = [];
      for (let tries = 0; ids.length < INCIDENTS && tries < 300; tries++) {
        ids = ((await api('GET', '/api/v1/incidents')).incidents as Array<{ id: string }>).map((i) => i.id);
        if (ids.length < INCIDENTS) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ids).toHaveLength(INCIDENTS);
      for (const id of ids) {
        await api('POST', `/api/v1/incidents/${id}/acknowledge`);
        await api('POST', `/api/v1/incidents/${id}/resolve`);
      }
      // The receiver refuses the first message: the deliverer waits to try it again when it is killed.
      await until('a refused attempt', () => receiver.idsWhileDown.length > 0);
      await killed(first);

      receiver.down = false;
      const second = await start();
      await until('a third of the messages', () => receiver.deliveries.length >= INCIDENTS);
      await killed(second);
      const beforeSecondKill = receiver.deliveries.length;

      await start();
      await until('every message', () => new Set(receiver.deliveries.map((d) => d.id)).size === INCIDENTS * 3);
      expect(receiver.refused).toEqual([]);
      const arrivals = firstArrivals(receiver);
      expect([...arrivals.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids)
        expect(arrivals.get(id), id).toEqual(['incident.opened', 'incident.acknowledged', 'incident.resolved']);
      expect(beforeSecondKill).toBeLessThan(INCIDENTS * 3);

      // An operator asks for everything since before the first incident again.
      const delivered = receiver.deliveries.length;
      const replay = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'packages/cli/src/main.ts', 'webhooks', 'replay', 'tickets', '--from', since],
          {
            cwd: REPO_ROOT,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              KLAXON_URL: escalation,
              KLAXON_API_TOKEN: API_TOKEN,
            },
          },
        );
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('exit', (status) => resolve({ status, stdout }));
      });
      expect(replay).toMatchObject({ status: 0, stdout: expect.stringContaining('tickets: delivering again') });
      await until('the replay', () => receiver.deliveries.length >= delivered + INCIDENTS * 3);
      const replayed = receiver.deliveries.slice(delivered, delivered + INCIDENTS * 3).map((d) => d.id);
      expect(new Set(replayed)).toEqual(new Set(receiver.deliveries.slice(0, delivered).map((d) => d.id)));
    } finally {
      for (const klaxon of running)
        if (klaxon.process.exitCode === null && klaxon.process.signalCode === null) await klaxon.stop();
      await receiver.close();
      data.remove();
    }
  },
);
