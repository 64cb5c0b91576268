import { writeFileSync } from 'node:fs';
import { cutOffDatabase, freshDatabase, postgresAvailable, startFakeTwilio, tempDir } from '@klaxon/testing';
import { describe, expect, it } from 'vitest';
import { API_TOKEN, incidents, startReady, timeline, trigger, until, WEBHOOK_TOKEN } from './kafka-stack.ts';
import { quickRunbookYaml } from './quick-runbook.ts';

const available = await postgresAvailable('PostgreSQL outage, three processes');

const SERVICES = ['ingest', 'escalation', 'projection'] as const;
const OUTAGE_MS = 10_000;

describe.runIf(available)('PostgreSQL unreachable for 10 s mid-stream, each service its own process', () => {
  it(
    'no process exits, nothing answered 202 is lost, and everything resumes by itself: incidents, pages, KPIs, /ready',
    { timeout: 240_000 },
    async () => {
      const database = await freshDatabase();
      // No Kafka here: ingest and escalation share the embedded log through the data dir; the event store
      // and the read models are on PostgreSQL, which goes away.
      const data = tempDir('klaxon-pg-outage-');
      writeFileSync(
        data.file('klaxon.yaml'),
        quickRunbookYaml({ ackTimeout: '1h', webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN }),
      );
      const twilio = await startFakeTwilio();
      const env = {
        DATABASE_URL: database.url,
        // Required outside the embedded default, so that every instance signs and checks the same links.
        KLAXON_LINK_SECRET: 'postgres-outage-link-secret-000001',
        KLAXON_DATA_DIR: data.path,
        KLAXON_CONFIG: data.file('klaxon.yaml'),
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+15550009999',
        TWILIO_API_URL: twilio.url,
        KLAXON_PROJECTION_STALL_MS: '5000',
      };
      const started: Array<Awaited<ReturnType<typeof startReady>>> = [];
      const exits: string[] = [];
      const outage = { current: undefined as Awaited<ReturnType<typeof cutOffDatabase>> | undefined };
      try {
        for (const name of SERVICES) {
          const service = await startReady(name, env);
          service.process.process.once('exit', (code, signal) => exits.push(`${name} exited (${code ?? signal})`));
          started.push(service);
        }
        const [ingest, escalation, projection] = started.map((s) => s.port) as [number, number, number];

        // One sender, one alert (one incident) at a time, before, during and after the outage; slowly enough
        // that the runbook's SMS throttle (a burst of 100) never holds a page back.
        const accepted: string[] = [];
        const refused: number[] = [];
        let sending = true;
        const sender = (async () => {
          for (let k = 0; sending; k++) {
            const { status } = await trigger(ingest, `outage-${k}`);
            if (status === 202) accepted.push(`outage-${k}`);
            else refused.push(status);
            await new Promise((r) => setTimeout(r, 200));
          }
        })();

        await until('alerts flowing: a first page sent', () => (twilio.messages().length > 0 ? true : undefined));
        const beforeOutage = accepted.length;
        outage.current = await cutOffDatabase(database.url);
        const readyDuring = await Promise.all(
          started.map(async (s) => (await fetch(`http://127.0.0.1:${s.port}/ready`)).status),
        );
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        const duringOutage = accepted.length - beforeOutage;
        await outage.current.restore();
        outage.current = undefined;
        const afterOutage = accepted.length;
        await until('a few alerts sent after the outage', () =>
          accepted.length >= afterOutage + 5 ? true : undefined,
        );
        sending = false;
        await sender;

        expect(exits).toEqual([]);
        // Ingest writes to the bus, not to PostgreSQL: it goes on accepting throughout.
        expect(duringOutage).toBeGreaterThan(0);
        expect(refused).toEqual([]);
        // The services that need PostgreSQL said so while it was gone.
        expect(readyDuring.slice(1)).toEqual([503, 503]);

        const titles = accepted.map((key) => `alert ${key}`);
        const open = await until(
          `an incident for each of the ${accepted.length} alerts accepted`,
          async () => {
            const all = await incidents(escalation);
            return titles.every((t) => all.some((i) => i.title === t)) ? all : undefined;
          },
          90_000,
        );
        expect(open.filter((i) => titles.includes(i.title))).toHaveLength(accepted.length);
        // Pages held back during the outage go out together once it ends, bundled per contact: each incident
        // has its page delivered, under a sid the Twilio-shaped server answered.
        const sids = () => new Set(twilio.requests.map((r) => r.sid));
        const ours = open.filter((i) => titles.includes(i.title));
        await until(
          'a page delivered at the Twilio-shaped server for each of them',
          async () => {
            for (const incident of ours) {
              const delivered = (await timeline(escalation, incident.id)) as Array<{
                type: string;
                providerId?: string;
              }>;
              if (!delivered.some((e) => e.type === 'PageDelivered' && sids().has(e.providerId ?? '')))
                return undefined;
            }
            return true;
          },
          90_000,
        );
        const auth = { headers: { authorization: `Bearer ${API_TOKEN}` } };
        await until(
          'the KPIs to count them',
          async () => {
            const kpis = (await (await fetch(`http://127.0.0.1:${projection}/api/v1/kpis`, auth)).json()) as {
              incidents: { total: number };
            };
            return kpis.incidents.total === accepted.length ? true : undefined;
          },
          90_000,
        );
        for (const s of started)
          await until(`${s.port} ready again`, async () =>
            (await fetch(`http://127.0.0.1:${s.port}/ready`)).status === 200 ? true : undefined,
          );
        expect(exits).toEqual([]);
      } finally {
        await outage.current?.restore();
        const codes = await Promise.all(started.map((s) => s.process.stop()));
        started.forEach((s, i) =>
          expect(codes[i], `${SERVICES[i]}:\n${s.process.output().split('\n').slice(-20).join('\n')}`).toBe(0),
        );
        await twilio.close();
        await database.drop();
        data.remove();
      }
    },
  );
});
