import { writeFileSync } from 'node:fs';
import { storableText } from '@klaxon/domain';
import {
  freshDatabase,
  postgresAvailable,
  RUNBOOK_SEVERITIES_YAML,
  startFakeTwilio,
  tempDir,
  type FakeTwilio,
} from '@klaxon/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startKlaxon, startService, waitForHttp, type RunningKlaxon } from './klaxon-process.ts';

// Issue 21: nothing a sender writes may stall paging. Hostile text, instants, nesting and sizes go to both
// ingest endpoints of a running Klaxon, on the embedded stores and on PostgreSQL; every answer is 2xx or 4xx,
// every alert ingest took opens or joins its incident, and an alert sent after them all still pages.

const AM_TOKEN = 'bad-input-alertmanager-token-0001';
const EVENTS_TOKEN = 'bad-input-events-token-000000001';
const API_TOKEN = 'bad-input-api-token-0000000000001';
const SINK_PHONE = '+15550100009';
const CANARY_PHONE = '+15550100008';

// Every hostile alert pages the sink; the canary, paged last, has its own contact and so its own throttle.
const CONFIG = `${RUNBOOK_SEVERITIES_YAML}
contacts:
  sink: { phone: "${SINK_PHONE}", email: sink@example.com }
  canary: { phone: "${CANARY_PHONE}", email: canary@example.com }
policies:
  sink: { levels: { L1: { targets: [contact:sink], channels: [sms] } } }
  canary: { levels: { L1: { targets: [contact:canary], channels: [sms] } } }
routes:
  - { match: { canary: "yes" }, policy: canary }
  - { match: {}, policy: sink }
integrations:
  alertmanager: { token: ${AM_TOKEN} }
  events: { token: ${EVENTS_TOKEN} }
api:
  tokens: [${API_TOKEN}]
`;

// Runs per property per store: bounded for a loaded two-core machine.
const RUNS = 25;

const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
const inRange = (dateTime: string) => {
  const ms = Date.parse(dateTime);
  return ms >= EARLIEST && ms <= LATEST;
};

const hostileChar = fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\u05d0', '🔥', '𝄞', '"', '\\', '\n', 'a');
const hostileText = fc
  .array(fc.oneof(hostileChar, fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 })), {
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const offset = fc
  .integer({ min: -14 * 60, max: 14 * 60 })
  .map((m) =>
    m === 0 ? 'Z' : `${m < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(m) / 60), 2)}:${pad(Math.abs(m) % 60, 2)}`,
  );
const instant = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0000-12-31T23:00:00-14:00',
    '0001-01-01T00:00:00Z',
    '0001-01-01T00:00:00+14:00',
    '9999-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59-12:00',
    '9999-12-31T10:00:00+14:00',
  ),
  fc
    .tuple(
      fc.constantFrom(0, 1, 2026, 9999),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: 0, max: 23 }),
      offset,
    )
    .map(([y, mo, d, h, o]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:00:00${o}`),
  fc.constant(new Date().toISOString()),
);
const link = fc.constantFrom('', 'javascript:alert(document.cookie)', 'data:text/html,x', 'https://prometheus/graph');
const HUGE = 'x'.repeat(300 * 1024);

const amAlert = fc.record({
  labels: fc.dictionary(hostileText, hostileText, { maxKeys: 4 }),
  summary: hostileText,
  fingerprint: hostileText,
  startsAt: instant,
  endsAt: fc.oneof(fc.constant('0001-01-01T00:00:00Z'), instant),
  generatorURL: link,
  huge: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});
const notification = fc.record({
  groupKey: hostileText,
  alerts: fc.array(amAlert, { minLength: 1, maxLength: 6 }),
});

const nested = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { [`l${i}`]: value };
  return value;
};
const event = fc.record({
  dedupKey: hostileText.map((t) => t.slice(0, 200)),
  summary: hostileText,
  source: hostileText,
  severity: fc.constantFrom('critical', 'error', 'warning', 'info'),
  timestamp: fc.option(instant, { nil: undefined }),
  details: fc.dictionary(hostileText, fc.oneof(hostileText, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 4 }),
  depth: fc.integer({ min: 0, max: 40 }),
  link,
  huge: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
});

interface Stack {
  ingest: string;
  escalation: string;
  stop(): Promise<void>;
}

type Launch = (env: Record<string, string>) => Promise<{ processes: RunningKlaxon[]; cleanUp(): Promise<void> }>;

const onEmbeddedStores: Launch = async (env) => {
  const data = tempDir('klaxon-bad-input-');
  return {
    processes: [startKlaxon({ ...env, KLAXON_DATA_DIR: data.path })],
    cleanUp: async () => data.remove(),
  };
};

const onPostgres: Launch = async (env) => {
  const database = await freshDatabase();
  // No Kafka here: ingest and escalation share the embedded log through the data dir; events go to PostgreSQL.
  const data = tempDir('klaxon-bad-input-pg-');
  const shared = { ...env, DATABASE_URL: database.url, KLAXON_DATA_DIR: data.path };
  return {
    processes: [startService('ingest', shared), startService('escalation', shared)],
    async cleanUp() {
      await database.drop();
      data.remove();
    },
  };
};

async function startStack(launch: Launch, twilio: FakeTwilio): Promise<Stack> {
  const config = tempDir('klaxon-bad-input-config-');
  writeFileSync(config.file('klaxon.yaml'), CONFIG);
  const ports = { INGEST_PORT: await freePort(), ESCALATION_PORT: await freePort(), PROJECTION_PORT: await freePort() };
  const { processes, cleanUp } = await launch({
    KLAXON_HOST: '127.0.0.1',
    KLAXON_CONFIG: config.file('klaxon.yaml'),
    KLAXON_LINK_SECRET: 'bad-input-link-secret-0123456789abcdef',
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15550009999',
    TWILIO_API_URL: twilio.url,
    KLAXON_PUBLIC_URL: 'https://klaxon.example.com',
  });
  const ingest = `http://127.0.0.1:${ports.INGEST_PORT}`;
  const escalation = `http://127.0.0.1:${ports.ESCALATION_PORT}`;
  await waitForHttp(`${ingest}/ready`);
  await waitForHttp(`${escalation}/ready`);
  return {
    ingest,
    escalation,
    async stop() {
      const codes = await Promise.all(processes.map((p) => p.stop()));
      processes.forEach((p, i) => expect(codes[i], p.output().split('\n').slice(-20).join('\n')).toBe(0));
      await cleanUp();
      config.remove();
    },
  };
}

const post = async (url: string, body: unknown, token?: string) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> };
};

const stores: Array<[string, Launch, () => Promise<boolean>]> = [
  ['the embedded stores (pnpm start, one process)', onEmbeddedStores, async () => true],
  [
    'PostgreSQL (ingest and escalation each their own process)',
    onPostgres,
    () => postgresAvailable('bad input on PostgreSQL'),
  ],
];

describe.each(stores)('bad input never stalls paging, on %s', (_name, launch, available) => {
  let twilio: FakeTwilio;
  let stack: Stack | undefined;
  let run = 0;
  /** Alerts ingest took: each must open or join the incident of its group. */
  const taken: Array<{ groupKey: string; fingerprint: string }> = [];

  beforeAll(async () => {
    if (!(await available())) return;
    twilio = await startFakeTwilio();
    stack = await startStack(launch, twilio);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await twilio?.close();
  });

  it('hostile Alertmanager notifications: 202 with the bad alerts refused by index, 400 or 413 when none is left, never 5xx', async (ctx) => {
    if (!stack) return ctx.skip();
    await fc.assert(
      fc.asyncProperty(notification, async ({ groupKey, alerts }) => {
        const key = `am-${run++}-${groupKey}`;
        const body = {
          version: '4',
          groupKey: key,
          status: 'firing',
          receiver: 'klaxon',
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          externalURL: 'http://alertmanager:9093',
          alerts: alerts.map((a, i) => ({
            status: 'firing',
            labels: a.labels,
            annotations: { summary: a.summary, ...(a.huge ? { dump: HUGE } : {}) },
            startsAt: a.startsAt,
            endsAt: a.endsAt,
            generatorURL: a.generatorURL,
            fingerprint: `${i}-${a.fingerprint}`,
          })),
        };
        const bad = alerts.flatMap((a, i) =>
          !inRange(a.startsAt) || (a.endsAt !== '0001-01-01T00:00:00Z' && !inRange(a.endsAt)) || a.huge ? [i] : [],
        );
        const answer = await post(`${stack!.ingest}/api/v1/alertmanager`, body, AM_TOKEN);
        if (bad.length === alerts.length) {
          expect([400, 413]).toContain(answer.status);
          return;
        }
        expect(answer.status).toBe(202);
        expect(answer.json.accepted).toBe(alerts.length - bad.length);
        expect(((answer.json.refused ?? []) as Array<{ index: number }>).map((r) => r.index)).toEqual(bad);
        body.alerts.forEach(({ fingerprint }, i) => {
          if (!bad.includes(i)) taken.push({ groupKey: storableText(key), fingerprint: storableText(fingerprint) });
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('hostile generic events: 202, or 400 for a bad timestamp or nesting past 32 levels, 413 when too large; never 5xx', async (ctx) => {
    if (!stack) return ctx.skip();
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const body = {
          routing_key: EVENTS_TOKEN,
          event_action: 'trigger',
          dedup_key: `ev-${run++}-${e.dedupKey}`,
          payload: {
            summary: `s${e.summary}`,
            source: `s${e.source}`,
            severity: e.severity,
            ...(e.timestamp ? { timestamp: e.timestamp } : {}),
            custom_details: { ...e.details, deep: nested(e.depth, 'bottom'), ...(e.huge ? { dump: HUGE } : {}) },
          },
          links: [{ href: e.link }],
        };
        const answer = await post(`${stack!.ingest}/api/v1/events`, body);
        // `deep` is level 2 of custom_details, so `depth` objects below it reach level depth + 1.
        if ((e.timestamp && !inRange(e.timestamp)) || e.depth + 1 > 32) expect(answer.status).toBe(400);
        else if (e.huge) expect(answer.status).toBe(413);
        else {
          expect(answer.status).toBe(202);
          const dedupKey = answer.json.dedup_key as string;
          expect(dedupKey).toBe(storableText(body.dedup_key));
          taken.push({ groupKey: dedupKey, fingerprint: dedupKey });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random JSON and text at both endpoints: a 4xx or a 202, never 5xx', async (ctx) => {
    if (!stack) return ctx.skip();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string({ unit: 'binary' }),
        ),
        fc.boolean(),
        async (body, toEvents) => {
          const answer = toEvents
            ? await post(`${stack!.ingest}/api/v1/events`, body)
            : await post(`${stack!.ingest}/api/v1/alertmanager`, body, AM_TOKEN);
          expect(answer.status).toBeGreaterThanOrEqual(200);
          expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('every alert ingest took opened or joined its incident, and an alert sent after them all pages within seconds', async (ctx) => {
    if (!stack) return ctx.skip();
    expect(taken.length).toBeGreaterThan(0);
    const auth = { headers: { authorization: `Bearer ${API_TOKEN}` } };
    const missing = async () => {
      const list = (await (await fetch(`${stack!.escalation}/api/v1/incidents?limit=1000`, auth)).json()) as {
        incidents: Array<{ id: string; groupKey: string }>;
      };
      const alertsByGroup = new Map<string, Set<string>>();
      for (const { id, groupKey } of list.incidents) {
        const view = (await (await fetch(`${stack!.escalation}/api/v1/incidents/${id}`, auth)).json()) as {
          incident: { alerts: Record<string, string> };
        };
        const seen = alertsByGroup.get(groupKey) ?? new Set();
        for (const fingerprint of Object.keys(view.incident.alerts)) seen.add(fingerprint);
        alertsByGroup.set(groupKey, seen);
      }
      return taken.filter(({ groupKey, fingerprint }) => !alertsByGroup.get(groupKey)?.has(fingerprint));
    };
    const deadline = Date.now() + 30_000;
    let left = await missing();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await missing();
    }
    expect(left).toEqual([]);

    const sentAt = Date.now();
    const canary = await post(`${stack!.ingest}/api/v1/events`, {
      routing_key: EVENTS_TOKEN,
      event_action: 'trigger',
      dedup_key: 'canary-after-the-bad-input',
      payload: {
        summary: 'Canary after the bad input',
        source: 'test',
        severity: 'critical',
        custom_details: { canary: 'yes' },
      },
    });
    expect(canary.status).toBe(202);
    const paged = () =>
      twilio.messages().some((m) => m.To === CANARY_PHONE && m.Body.includes('Canary after the bad input'));
    while (!paged() && Date.now() - sentAt < 15_000) await new Promise((r) => setTimeout(r, 100));
    expect(paged(), 'the canary was paged within 15 s of its 202').toBe(true);
  });
});
