import { startFakeTwilio, tempDir } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startKlaxon, waitForHttp, type RunningKlaxon } from './klaxon-process.ts';

const API_TOKEN = 'sms-take-e2e-api-token-001';
const WEBHOOK_TOKEN = 'sms-take-e2e-webhook-token';
const PHONES: Record<string, string> = { alice: '+15550100001', bob: '+15550100002' };

describe('taking the pager by SMS, on pnpm start with the shipped klaxon.yaml', () => {
  let running: RunningKlaxon;
  let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
  let base: string;
  let ingest: string;
  const data = tempDir('klaxon-sms-take-');

  beforeAll(async () => {
    fake = await startFakeTwilio();
    const ports = {
      INGEST_PORT: await freePort(),
      ESCALATION_PORT: await freePort(),
      PROJECTION_PORT: await freePort(),
    };
    base = `http://127.0.0.1:${ports.ESCALATION_PORT}`;
    ingest = `http://127.0.0.1:${ports.INGEST_PORT}`;
    running = startKlaxon({
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      KLAXON_HOST: '127.0.0.1',
      KLAXON_DATA_DIR: data.path,
      KLAXON_API_TOKEN: API_TOKEN,
      KLAXON_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      KLAXON_PUBLIC_URL: base,
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_FROM: '+15550009999',
      TWILIO_API_URL: fake.url,
    });
    for (const port of Object.values(ports)) await waitForHttp(`http://127.0.0.1:${port}/ready`, 90_000);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await fake?.close();
    data.remove();
  });

  /** A text from `from`, signed with the auth token over the public URL, as Twilio sends it. */
  const text = async (from: string, body: string) => {
    const params = { From: from, To: '+15550009999', Body: body, MessageSid: `SM${Date.now()}` };
    const url = `${base}/webhooks/twilio/sms`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': fake.sign(url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    return response.text();
  };
  const trigger = async (summary: string) => {
    const response = await fetch(`${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        payload: { summary, source: 'sms-take-e2e', severity: 'critical' },
      }),
    });
    expect(response.status).toBe(202);
  };
  const pagedFor = (summary: string) =>
    fake
      .messages()
      .filter((m) => m.Body.includes(summary))
      .map((m) => m.To);

  it(
    'the engineer off call texts "take until <20 s from now>": the next alert pages them; after it, the rotation again',
    { timeout: 120_000 },
    async () => {
      const schedules = (await (
        await fetch(`${base}/api/v1/schedules`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).json()) as { schedules: Array<{ name: string; members: string[]; onCall: string }> };
      const primary = schedules.schedules.find((s) => s.name === 'primary-oncall')!;
      const taker = primary.members.find((m) => m !== primary.onCall)!;
      const until = new Date(Date.now() + 20_000);

      expect(await text(PHONES[taker]!, `take until ${until.toISOString()}`)).toContain(
        'you are on call for primary-oncall until',
      );
      await trigger('Checkout down while covered');
      await expect.poll(() => pagedFor('Checkout down while covered'), { timeout: 20_000 }).toEqual([PHONES[taker]]);

      // After the window, the rotation's engineer again.
      await expect.poll(() => Date.now() > until.getTime() + 500, { timeout: 30_000, interval: 250 }).toBe(true);
      await trigger('Checkout down after the cover');
      await expect
        .poll(() => pagedFor('Checkout down after the cover'), { timeout: 20_000 })
        .toEqual([PHONES[primary.onCall]]);
    },
  );
});
