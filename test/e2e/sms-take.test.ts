import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeTwilio, tempDir } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startReadyKlaxon, twilioEnv, type ReadyKlaxon } from './klaxon-process.ts';

const API_TOKEN = 'sms-take-e2e-api-token-001';
const WEBHOOK_TOKEN = 'sms-take-e2e-webhook-token';
const PHONES: Record<string, string> = { alice: '+15550100001', bob: '+15550100002' };

/** A P1's status-update reminder re-pages its level's roster, taken when it falls due: every 10 s here. */
const REMINDER_EVERY_S = 10;
const SHIPPED = readFileSync(join(REPO_ROOT, 'klaxon.yaml'), 'utf8');
const CONFIG = SHIPPED.replace(/(P1:[^\n]*\n(?: {4}[^\n]*\n)*? {4}statusUpdateEvery: )30m/, `$1${REMINDER_EVERY_S}s`);

describe('taking the pager by SMS, on pnpm start with the shipped klaxon.yaml (P1 reminders every 10 s)', () => {
  let running: ReadyKlaxon;
  let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
  let base: string;
  let ingest: string;
  const data = tempDir('klaxon-sms-take-');

  beforeAll(async () => {
    expect(CONFIG).not.toBe(SHIPPED);
    writeFileSync(data.file('klaxon.yaml'), CONFIG);
    fake = await startFakeTwilio();
    running = await startReadyKlaxon(({ escalation }) => ({
      KLAXON_CONFIG: data.file('klaxon.yaml'),
      KLAXON_DATA_DIR: data.path,
      KLAXON_API_TOKEN: API_TOKEN,
      KLAXON_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      KLAXON_PUBLIC_URL: escalation,
      ...twilioEnv(fake),
    }));
    base = running.escalation;
    ingest = running.ingest;
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
  const isReminder = (body: string) => body.includes('status update due');
  /** The incident's pages, its status-update reminders left out (they are checked on their own). */
  const pagedFor = (summary: string) =>
    fake
      .messages()
      .filter((m) => m.Body.includes(summary) && !isReminder(m.Body))
      .map((m) => m.To);
  const remindersFor = (summary: string) =>
    fake
      .messages()
      .filter((m) => m.Body.includes(summary) && isReminder(m.Body))
      .map((m) => m.To);

  it(
    'the engineer off call texts "take until <40 s from now>": the next alert and its L1 re-pages that fall due inside the window page them; after it, the rotation again',
    { timeout: 150_000 },
    async () => {
      const schedules = (await (
        await fetch(`${base}/api/v1/schedules`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).json()) as { schedules: Array<{ name: string; members: string[]; onCall: string }> };
      const primary = schedules.schedules.find((s) => s.name === 'primary-oncall')!;
      const taker = primary.members.find((m) => m !== primary.onCall)!;
      const until = new Date(Date.now() + 40_000);

      expect(await text(PHONES[taker]!, `take until ${until.toISOString()}`)).toContain(
        'you are on call for primary-oncall until',
      );
      await trigger('Checkout down while covered');
      await expect.poll(() => pagedFor('Checkout down while covered'), { timeout: 20_000 }).toEqual([PHONES[taker]]);

      // The incident stays unacknowledged at L1: its status-update reminder re-pages L1 every 10 s, each
      // time to whoever is on call then. Inside the window that is the taker...
      await expect
        .poll(() => remindersFor('Checkout down while covered').length, { timeout: 30_000, interval: 250 })
        .toBeGreaterThan(0);
      expect(Date.now()).toBeLessThan(until.getTime());
      // ...and once the window is over, the rotation's engineer, and never the taker again.
      await expect.poll(() => Date.now() > until.getTime() + 500, { timeout: 45_000, interval: 250 }).toBe(true);
      await expect
        .poll(() => remindersFor('Checkout down while covered').includes(PHONES[primary.onCall]!), {
          timeout: 30_000,
          interval: 250,
        })
        .toBe(true);
      expect(pagedFor('Checkout down while covered')).toEqual([PHONES[taker]]);
      const reminders = remindersFor('Checkout down while covered');
      const switchedAt = reminders.indexOf(PHONES[primary.onCall]!);
      expect(switchedAt).toBeGreaterThan(0);
      expect(reminders.slice(0, switchedAt)).toEqual(Array(switchedAt).fill(PHONES[taker]));
      expect(new Set(reminders.slice(switchedAt))).toEqual(new Set([PHONES[primary.onCall]]));

      // A new alert after the window: the rotation's engineer.
      await trigger('Checkout down after the cover');
      await expect
        .poll(() => pagedFor('Checkout down after the cover'), { timeout: 20_000 })
        .toEqual([PHONES[primary.onCall]]);
      expect(new Set(pagedFor('Checkout down after the cover'))).toEqual(new Set([PHONES[primary.onCall]]));
    },
  );
});
