import { writeFileSync } from 'node:fs';
import {
  startFakeTwilio,
  startFakeVonage,
  tempDir,
  twilioSignature,
  type FakeTwilio,
  type FakeVonage,
} from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReadyKlaxon, twilioEnv, type ReadyKlaxon } from './klaxon-process.ts';

const API_TOKEN = 'reach-e2e-api-token-00000001';
const WEBHOOK_TOKEN = 'reach-e2e-webhook-token-001';
const ALICE = '+15550100001';
const ALICES_SECOND_PHONE = '+15550100077';
const BOB = '+15550100002';
const PROVIDER_TIMEOUT_MS = 1500;

/**
 * Alice is paged at L1 by her rules: an SMS at once, a call 10 minutes later; bob, for the calls team, by a
 * call at once. SMS and calls go through Twilio, then Vonage.
 */
const runbook = `severities:
  P1: { ackTimeout: 1h, escalateAfter: [2h], statusUpdateEvery: 24h, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
contacts:
  alice:
    phone: "${ALICE}"
    timezone: Europe/Berlin
    rules:
      high: [{ after: 0m, method: sms }, { after: 10m, method: voice }]
  bob: { phone: "${BOB}", timezone: Europe/Berlin }
schedules: {}
policies:
  default:
    levels:
      L1: { targets: [contact:alice], channels: [sms] }
  calls:
    levels:
      L1: { targets: [contact:bob], channels: [voice] }
routes:
  - match: { team: calls }
    policy: calls
  - match: {}
    policy: default
integrations:
  webhooks: { token: ${WEBHOOK_TOKEN} }
api:
  tokens: [${API_TOKEN}]
providers:
  sms: [twilio, vonage]
  voice: [twilio, vonage]
throttle:
  sms: { every: 1s, burst: 100 }
  voice: { every: 1s, burst: 100 }
`;

interface TimelineEntry {
  type: string;
  pageId?: string;
  provider?: string;
  receipt?: string;
  to?: string;
}

describe('reaching alice whatever fails, on pnpm start with local Twilio and Vonage', () => {
  let running: ReadyKlaxon;
  let fakeTwilio: FakeTwilio;
  let vonage: FakeVonage;
  let base: string;
  let ingest: string;
  const dir = tempDir('klaxon-reach-');

  beforeAll(async () => {
    [fakeTwilio, vonage] = await Promise.all([startFakeTwilio(), startFakeVonage()]);
    writeFileSync(dir.file('klaxon.yaml'), runbook);
    running = await startReadyKlaxon(({ escalation }) => ({
      KLAXON_DATA_DIR: dir.file('data'),
      KLAXON_CONFIG: dir.file('klaxon.yaml'),
      KLAXON_PUBLIC_URL: escalation,
      KLAXON_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
      ...twilioEnv(fakeTwilio),
      VONAGE_API_KEY: vonage.apiKey,
      VONAGE_API_SECRET: vonage.apiSecret,
      VONAGE_FROM: 'Klaxon',
      VONAGE_API_URL: vonage.url,
      VONAGE_APPLICATION_ID: vonage.applicationId,
      VONAGE_PRIVATE_KEY: vonage.privateKey,
      VONAGE_SIGNATURE_SECRET: vonage.signatureSecret,
    }));
    base = running.escalation;
    ingest = running.ingest;
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await fakeTwilio?.close();
    await vonage?.close();
    dir.remove();
  });

  const api = async (method: string, path: string, body?: unknown, token = API_TOKEN) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };

  /** Opens a P1 through the Events API and answers its id once escalation holds it. */
  const trigger = async (summary: string, details: Record<string, string> = {}): Promise<string> => {
    const response = await fetch(`${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        payload: { summary, source: 'reach-e2e', severity: 'critical', custom_details: details },
      }),
    });
    expect(response.status).toBe(202);
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const list = (await api('GET', '/api/v1/incidents')).json as {
            incidents: Array<{ id: string; title: string }>;
          };
          id = list.incidents.find((i) => i.title.includes(summary))?.id;
          return id;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBeDefined();
    return id!;
  };

  const timeline = async (incidentId: string) =>
    (await api('GET', `/api/v1/incidents/${incidentId}`)).json.timeline as TimelineEntry[];
  const twilioTextsAbout = (summary: string) => fakeTwilio.messages().filter((m) => m.Body.includes(summary));
  const vonageTextsAbout = (summary: string) => vonage.messages.filter((m) => m.text.includes(summary));

  it(
    "Twilio answers 500: Vonage carries alice's SMS, and the timeline says Vonage delivered it",
    { timeout: 60_000 },
    async () => {
      fakeTwilio.failNext(500);
      const incidentId = await trigger('Orders down while Twilio errs');
      await expect
        .poll(() => vonageTextsAbout('Orders down while Twilio errs').map((m) => m.to), { timeout: 20_000 })
        .toEqual([ALICE.slice(1)]);
      expect(twilioTextsAbout('Orders down while Twilio errs')).toEqual([]);
      await expect
        .poll(async () => (await timeline(incidentId)).filter((e) => e.type === 'PageDelivered'), { timeout: 10_000 })
        .toEqual([expect.objectContaining({ provider: 'vonage' })]);
    },
  );

  it(
    "Twilio never answers: after the provider timeout Vonage carries alice's SMS, and the timeline names it",
    { timeout: 60_000 },
    async () => {
      fakeTwilio.hangNext(1);
      const started = Date.now();
      const incidentId = await trigger('Orders down while Twilio hangs');
      await expect
        .poll(() => vonageTextsAbout('Orders down while Twilio hangs').map((m) => m.to), { timeout: 20_000 })
        .toEqual([ALICE.slice(1)]);
      // It waited for Twilio first, as long as the timeout and no longer than a retry's backoff (30 s).
      expect(Date.now() - started).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS);
      expect(Date.now() - started).toBeLessThan(30_000);
      await expect
        .poll(async () => (await timeline(incidentId)).filter((e) => e.type === 'PageDelivered'), { timeout: 10_000 })
        .toEqual([expect.objectContaining({ provider: 'vonage' })]);
    },
  );

  it(
    "a signed receipt says alice's SMS was undelivered: Vonage texts her and her 10-minute call goes out at once",
    { timeout: 60_000 },
    async () => {
      const summary = 'Payments down, SMS lost';
      const incidentId = await trigger(summary);
      await expect.poll(() => twilioTextsAbout(summary).length, { timeout: 20_000 }).toBe(1);
      const request = fakeTwilio.requests.find((r) => r.resource === 'Messages' && r.params.Body?.includes(summary))!;
      const callsBefore = fakeTwilio.calls().length;
      const callback = request.params.StatusCallback!;
      expect(callback.startsWith(`${base}/webhooks/twilio/status?`)).toBe(true);

      const params = { MessageSid: request.sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
      const post = (signature: string) =>
        fetch(callback, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams({ ...params, AccountSid: fakeTwilio.accountSid }).toString(),
        });
      const fields = { ...params, AccountSid: fakeTwilio.accountSid };
      // Signed with another token: refused, nothing moves.
      expect((await post(twilioSignature('0123456789abcdef0123456789abcdef', callback, fields))).status).toBe(403);
      const receivedAt = Date.now();
      expect((await post(fakeTwilio.sign(callback, fields))).status).toBe(204);

      await expect.poll(() => vonageTextsAbout(summary).length, { timeout: 15_000 }).toBe(1);
      await expect.poll(() => fakeTwilio.calls().length, { timeout: 15_000 }).toBe(callsBefore + 1);
      const call = fakeTwilio.requests.filter((r) => r.resource === 'Calls').at(-1)!;
      expect(call.params.To).toBe(ALICE);
      // Minutes before the step's time (10 min after the page): brought forward by the receipt.
      expect(call.at.getTime() - receivedAt).toBeLessThan(15_000);

      const events = await timeline(incidentId);
      expect(events.filter((e) => e.type === 'PageFailed')).toEqual([
        expect.objectContaining({ receipt: 'undelivered', provider: 'twilio' }),
      ]);
      expect(events.filter((e) => e.type === 'PageDelivered').map((e) => e.provider)).toEqual(
        expect.arrayContaining(['twilio', 'vonage']),
      );
    },
  );

  it(
    "Twilio refuses bob's call with a 500: Vonage calls him, and his keypress, signed by Vonage, acknowledges",
    { timeout: 60_000 },
    async () => {
      fakeTwilio.failNext(500);
      const incidentId = await trigger('Phones down, call bob', { team: 'calls' });
      await expect.poll(() => vonage.calls.map((c) => c.to), { timeout: 20_000 }).toEqual([BOB.slice(1)]);
      const [call] = vonage.calls;
      expect(JSON.stringify(call!.ncco)).toContain('Press 1 to acknowledge');
      await expect
        .poll(async () => (await timeline(incidentId)).filter((e) => e.type === 'PageDelivered'), { timeout: 10_000 })
        .toEqual([expect.objectContaining({ provider: 'vonage' })]);

      const eventUrl = (call!.ncco.find((n) => n.action === 'input') as { eventUrl: string[] }).eventUrl[0]!;
      expect(eventUrl.startsWith(`${base}/webhooks/vonage/voice?`)).toBe(true);
      const body = JSON.stringify({ dtmf: { digits: '1', timed_out: false }, uuid: call!.uuid, to: call!.from });
      const press = (authorization: string) =>
        fetch(eventUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      expect((await press(vonage.signWebhook(body, 'another-accounts-signature-secret'))).status).toBe(403);
      expect((await api('GET', `/api/v1/incidents/${incidentId}`)).json.incident.status).toBe('open');
      const pressed = await press(vonage.signWebhook(body));
      expect(await pressed.json()).toEqual([{ action: 'talk', text: 'Acknowledged. Thank you. Goodbye.' }]);
      expect((await api('GET', `/api/v1/incidents/${incidentId}`)).json.incident).toMatchObject({
        status: 'acknowledged',
        acknowledged: expect.objectContaining({ by: 'bob', via: 'voice' }),
      });
    },
  );

  it(
    'a phone alice adds is never paged unverified; the code texted to it verifies it, then it is paged and her reply from it acknowledges',
    { timeout: 90_000 },
    async () => {
      const created = await api('POST', '/api/v1/people/alice/tokens', { name: 'reach-e2e' });
      expect(created.status).toBe(201);
      const alice = created.json.token as string;

      const added = await api('POST', '/api/v1/me/methods', { type: 'sms', to: ALICES_SECOND_PHONE }, alice);
      expect(added).toMatchObject({ status: 201, json: { type: 'sms', verified: false } });
      const methodId = added.json.id as string;
      const toSecondPhone = () => [
        ...fakeTwilio.messages().filter((m) => m.To === ALICES_SECOND_PHONE),
        ...vonage.messages.filter((m) => m.to === ALICES_SECOND_PHONE.slice(1)),
      ];

      await trigger('Search down, second phone unverified');
      await expect
        .poll(() => twilioTextsAbout('Search down, second phone unverified').length, { timeout: 20_000 })
        .toBe(1);
      // The page to her first phone is out; had the second been paged, it would have gone out beside it.
      await new Promise((r) => setTimeout(r, 1000));
      expect(toSecondPhone()).toEqual([]);

      expect((await api('POST', `/api/v1/me/methods/${methodId}/verify`, undefined, alice)).status).toBe(202);
      await expect.poll(() => toSecondPhone().length, { timeout: 15_000 }).toBe(1);
      const notice = fakeTwilio.messages().find((m) => m.To === ALICES_SECOND_PHONE)!;
      const code = /\b(\d{6})\b/.exec(notice.Body)![1]!;
      const wrong = code === '000000' ? '111111' : '000000';
      expect((await api('POST', `/api/v1/me/methods/${methodId}/confirm`, { code: wrong }, alice)).status).toBe(422);
      expect((await api('POST', `/api/v1/me/methods/${methodId}/confirm`, { code }, alice)).status).toBe(200);
      expect(
        (await api('GET', '/api/v1/me/methods', undefined, alice)).json.methods.find(
          (m: { id: string }) => m.id === methodId,
        ),
      ).toMatchObject({ verified: true });

      const verifiedIncident = await trigger('Search down, second phone verified');
      await expect
        .poll(
          () =>
            twilioTextsAbout('Search down, second phone verified')
              .map((m) => m.To)
              .sort(),
          {
            timeout: 20_000,
          },
        )
        .toEqual([ALICE, ALICES_SECOND_PHONE]);

      // Her reply from the second phone is hers: "ack", signed by Twilio, acknowledges as alice.
      const url = `${base}/webhooks/twilio/sms`;
      const reply = { From: ALICES_SECOND_PHONE, To: '+15550009999', Body: 'ack', MessageSid: 'SMreach0001' };
      const answered = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': fakeTwilio.sign(url, reply),
        },
        body: new URLSearchParams(reply).toString(),
      });
      expect(await answered.text()).toContain('Acknowledged #');
      expect((await api('GET', `/api/v1/incidents/${verifiedIncident}`)).json.incident.acknowledged).toMatchObject({
        by: 'alice',
        via: 'sms',
      });
    },
  );
});
