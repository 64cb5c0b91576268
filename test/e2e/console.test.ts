import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumAvailable, startSmtpSink, type FakeTwilio } from '@klaxon/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAPTOP,
  openPage,
  PHONE,
  SHOTS,
  signInWithToken,
  startConsoleStack,
  type ConsoleStack,
} from './console-browser.ts';

const available = chromiumAvailable('the web console in a real Chromium');
const API_TOKEN = 'console-e2e-api-token-0001';
const WEBHOOK_TOKEN = 'console-e2e-webhook-token1';

describe.runIf(available)('the web console in a real Chromium, on pnpm start', () => {
  let stack: ConsoleStack;
  let base: string;
  let twilio: FakeTwilio;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let ingest: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startConsoleStack({
      name: 'console',
      env: { KLAXON_API_TOKEN: API_TOKEN, KLAXON_WEBHOOK_TOKEN: WEBHOOK_TOKEN, SMTP_URL: smtp.url },
    });
    ({ base, ingest, twilio } = stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await smtp?.close();
  });

  const open = async (
    device: typeof PHONE | typeof LAPTOP,
    timezoneId: string,
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const page = await openPage(stack.browser, { ...device, locale: 'en-GB', timezoneId, acceptDownloads: true });
    return { context: page.context(), page };
  };
  const signIn = (page: Page, token = API_TOKEN) => signInWithToken(page, token, 15_000);
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const trigger = (summary: string, service: string) =>
    fetch(`${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        payload: {
          summary,
          source: 'console-e2e',
          severity: 'critical',
          component: service,
          custom_details: { service },
        },
        links: [{ href: 'http://prometheus.example.com/graph?g0.expr=up%3D%3D0', text: 'Prometheus' }],
      }),
    });

  it(
    'sign in, watch a new incident appear, open it from the link its SMS carried and acknowledge it at phone width',
    { timeout: 120_000 },
    async () => {
      const laptop = await open(LAPTOP, 'America/New_York');
      await laptop.page.goto(`${base}/`);
      await signIn(laptop.page);
      await expect.poll(() => laptop.page.getByRole('heading', { name: 'Incidents' }).isVisible()).toBe(true);
      // Nothing yet; then an alert arrives and shows without a reload.
      expect((await trigger('Checkout returns 500', 'checkout')).status).toBe(202);
      await expect
        .poll(() => laptop.page.getByText('Checkout returns 500').count(), { timeout: 15_000 })
        .toBeGreaterThan(0);
      await shot(laptop.page, 'incidents-laptop');

      await expect.poll(() => twilio.messages().length, { timeout: 15_000 }).toBeGreaterThan(0);
      // The SMS carries the paged responder's one-tap link; its page links to the incident in the console.
      const oneTap = /https?:\/\/\S+\/i\/\S+/.exec(twilio.messages()[0]!.Body)?.[0];
      expect(oneTap, twilio.messages()[0]!.Body).toBeDefined();

      const phone = await open(PHONE, 'Europe/Berlin');
      await phone.page.goto(oneTap!);
      expect(await phone.page.getByRole('button', { name: /^Acknowledge as \w+$/ }).isVisible()).toBe(true);
      await shot(phone.page, 'one-tap-phone');
      await phone.page.getByRole('link', { name: 'Open it in the console' }).click();
      const link = phone.page.url();
      expect(new URL(link).pathname).toMatch(/^\/incidents\/\S+/);
      await shot(phone.page, 'signin-phone');
      // alice signs in with her own token, handed to her by an admin: what she does is done as her.
      const handed = await fetch(`${base}/api/v1/people/alice/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'phone' }),
      });
      expect(handed.status).toBe(201);
      await signIn(phone.page, ((await handed.json()) as { token: string }).token);
      // Back where the link pointed, after the sign-in.
      await expect
        .poll(() => phone.page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 })
        .toMatch(/#1\s+Checkout returns 500/);
      expect(new URL(phone.page.url()).pathname).toBe(new URL(link).pathname);
      await expect.poll(() => phone.page.getByText(/L2 in \d+ min unless acknowledged/).count()).toBe(1);
      await shot(phone.page, 'incident-phone');

      await expect
        .poll(() => phone.page.getByText('Signed in as alice (responder)').count(), { timeout: 10_000 })
        .toBe(1);
      await phone.page.getByRole('button', { name: 'Acknowledge' }).click();
      await expect
        .poll(() => phone.page.getByText('Acknowledged by alice via api').count(), { timeout: 10_000 })
        .toBe(1);
      expect(await phone.page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
      const api = await fetch(`${base}/api/v1/incidents/${link.split('/').pop()}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(
        ((await api.json()) as { incident: { status: string; acknowledged: { by: string } } }).incident,
      ).toMatchObject({
        status: 'acknowledged',
        acknowledged: { by: 'alice' },
      });
      // The laptop's list follows without a reload.
      await expect
        .poll(() => laptop.page.getByText(/acknowledged · L1 · checkout/).count(), { timeout: 10_000 })
        .toBe(1);

      await laptop.page.goto(link);
      await expect
        .poll(() => laptop.page.getByText('Acknowledged by alice via api').count(), { timeout: 15_000 })
        .toBe(1);
      await shot(laptop.page, 'incident-laptop');
      await phone.page.goto(`${base}/`);
      await expect
        .poll(() => phone.page.getByText('Checkout returns 500').count(), { timeout: 15_000 })
        .toBeGreaterThan(0);
      await shot(phone.page, 'incidents-phone');
      await Promise.all([laptop.context.close(), phone.context.close()]);
    },
  );

  it(
    "shows who is on call across the Berlin spring DST change, in the schedule's zone and the viewer's",
    { timeout: 60_000 },
    async () => {
      const { context, page } = await open(LAPTOP, 'America/New_York');
      await page.goto(`${base}/oncall?at=2027-03-20T00:00:00Z`);
      await signIn(page);
      await expect
        .poll(() => page.getByRole('heading', { name: 'Schedule primary-oncall' }).isVisible(), { timeout: 15_000 })
        .toBe(true);
      const rows = await page.locator('table.shifts tbody tr').allTextContents();
      // Monday 09:00 in Berlin on both sides of the change (CET, then CEST); New York moved two weeks earlier.
      expect(rows.some((r) => /22 Mar, 09:00 CET/.test(r) && /29 Mar, 09:00 CEST/.test(r))).toBe(true);
      expect(rows.some((r) => /22 Mar, 04:00 GMT-4/.test(r) || /22 Mar, 04:00 EDT/.test(r))).toBe(true);
      expect(await page.getByRole('heading', { name: 'Policy default' }).isVisible()).toBe(true);
      await shot(page, 'oncall-laptop');
      const phone = await open(PHONE, 'Europe/Berlin');
      await phone.page.goto(`${base}/oncall`);
      // alice signs in with her own token, handed to her by an admin: what she does is done as her.
      const handed = await fetch(`${base}/api/v1/people/alice/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'phone' }),
      });
      expect(handed.status).toBe(201);
      await signIn(phone.page, ((await handed.json()) as { token: string }).token);
      await expect
        .poll(() => phone.page.getByRole('heading', { name: 'Schedule primary-oncall' }).isVisible(), {
          timeout: 15_000,
        })
        .toBe(true);
      await shot(phone.page, 'oncall-phone');
      await Promise.all([context.close(), phone.context.close()]);
    },
  );

  it('charts the KPIs and downloads them as CSV', { timeout: 60_000 }, async () => {
    const { context, page } = await open(LAPTOP, 'Europe/Berlin');
    await page.goto(`${base}/kpis`);
    await signIn(page);
    await expect.poll(() => page.getByRole('heading', { name: 'MTTA' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => page.locator('figure.chart').count()).toBe(4);
    await expect.poll(async () => (await page.locator('.cards').textContent()) ?? '').toMatch(/Incidents\s*1/);
    // The incident acknowledged in the first test: its MTTA is a figure, not a dash.
    expect(await page.locator('.cards').textContent()).toMatch(/MTTA\s*\d+ s/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(download.suggestedFilename()).toMatch(/^klaxon-kpis-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(csv.split('\n')[0]).toMatch(/start/);
    expect(csv.trim().split('\n').length).toBeGreaterThan(1);
    await shot(page, 'kpis-laptop');
    const phone = await open(PHONE, 'Europe/Berlin');
    await phone.page.goto(`${base}/kpis`);
    await signIn(phone.page);
    await expect.poll(() => phone.page.locator('figure.chart').count(), { timeout: 20_000 }).toBe(4);
    await shot(phone.page, 'kpis-phone');
    await Promise.all([context.close(), phone.context.close()]);
  });

  // Last: it adds an incident the KPI test above does not count.
  it(
    "shows a notification's run of alerts as one line of the timeline, firing and then resolved",
    { timeout: 60_000 },
    async () => {
      const notify = (status: 'firing' | 'resolved') =>
        fetch(`${ingest}/api/v1/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer change-me-alertmanager-token' },
          body: JSON.stringify({
            version: '4',
            groupKey: '{}:{alertname="QueueBacklog"}',
            status,
            receiver: 'klaxon',
            groupLabels: { alertname: 'QueueBacklog' },
            commonLabels: { alertname: 'QueueBacklog', severity: 'warning' },
            commonAnnotations: { summary: 'Queue backlog' },
            externalURL: 'http://alertmanager:9093',
            alerts: ['q1', 'q2', 'q3', 'q4'].map((fingerprint) => ({
              status,
              labels: { alertname: 'QueueBacklog', severity: 'warning', queue: fingerprint },
              annotations: { summary: 'Queue backlog' },
              startsAt: '2026-12-03T01:00:00Z',
              endsAt: status === 'resolved' ? '2026-12-03T01:30:00Z' : '0001-01-01T00:00:00Z',
              generatorURL: '',
              fingerprint,
            })),
          }),
        });
      expect((await notify('firing')).status).toBe(202);
      const queueIncidents = async () =>
        (
          (await (
            await fetch(`${base}/api/v1/incidents?q=queue`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
          ).json()) as { incidents: Array<{ id: string }> }
        ).incidents;
      await expect.poll(async () => (await queueIncidents()).length, { timeout: 15_000 }).toBe(1);
      const [incident] = await queueIncidents();
      const laptop = await open(LAPTOP, 'Europe/London');
      await laptop.page.goto(`${base}/incidents/${incident!.id}`);
      await signIn(laptop.page);
      // The first alert opens the incident; the other three join it as one fact.
      await expect.poll(() => laptop.page.getByText('Alert q1 firing').count(), { timeout: 15_000 }).toBe(1);
      await expect
        .poll(() => laptop.page.getByText('3 alerts firing: q2, q3, q4').count(), { timeout: 15_000 })
        .toBe(1);
      expect((await notify('resolved')).status).toBe(202);
      await expect
        .poll(() => laptop.page.getByText('4 alerts resolved: q1, q2, q3, …').count(), { timeout: 15_000 })
        .toBe(1);
      await expect
        .poll(() => laptop.page.getByText('Resolved by source via source').count(), { timeout: 15_000 })
        .toBe(1);
      await laptop.context.close();
    },
  );
});
