import { join } from 'node:path';
import { chromiumAvailable, type FakeTwilio } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiCall,
  apiCaller,
  type ConsoleStack,
  openPage,
  phoneSignedIn,
  SHOTS,
  startConsoleStack,
} from './console-browser.ts';

const available = chromiumAvailable('the console page of contact methods and rules in a real Chromium');
const API_TOKEN = 'console-me-api-token-000001';
const SECOND_PHONE = '+15550100088';

describe.runIf(available)('the console page "Me": alice sets how Klaxon reaches her, from a phone', () => {
  let stack: ConsoleStack;
  let base: string;
  let twilio: FakeTwilio;

  let api: ApiCall;

  beforeAll(async () => {
    stack = await startConsoleStack({ name: 'console-me', env: { KLAXON_API_TOKEN: API_TOKEN } });
    ({ base, twilio } = stack);
    api = apiCaller(base, API_TOKEN);
  }, 150_000);

  afterAll(async () => {
    await stack?.close();
  });

  it(
    'adds a phone, confirms the texted code, sends a test page, sets rules and quiet hours, and removes the phone',
    { timeout: 120_000 },
    async () => {
      const alice = (await api('POST', '/api/v1/people/alice/tokens', API_TOKEN, { name: 'phone' })).json
        .token as string;
      const page = await phoneSignedIn(stack, '/me', alice);
      const methods = page.getByRole('region', { name: 'Contact methods' });
      // klaxon.yaml's phone and email, paged as written.
      await expect.poll(() => methods.getByRole('listitem').count(), { timeout: 20_000 }).toBe(3);
      expect(await methods.getByRole('listitem').first().textContent()).toMatch(/^sms \+15550100001 paged/);

      await page.getByLabel('Address').fill(SECOND_PHONE);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      const added = methods.getByRole('listitem').filter({ hasText: SECOND_PHONE });
      await expect.poll(() => added.locator('.badge').textContent(), { timeout: 15_000 }).toBe('unverified, not paged');

      await added.getByRole('button', { name: 'Send code' }).click();
      await expect
        .poll(() => twilio.messages().filter((m) => m.To === SECOND_PHONE).length, { timeout: 15_000 })
        .toBe(1);
      const code = /code is (\d{6})/.exec(twilio.messages().find((m) => m.To === SECOND_PHONE)!.Body)![1]!;
      await added.getByLabel('Code').fill(code);
      await added.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => added.locator('.badge').textContent(), { timeout: 15_000 }).toBe('paged');

      await added.getByRole('button', { name: 'Test' }).click();
      await expect.poll(() => added.getByText('Test page sent.').count(), { timeout: 15_000 }).toBe(1);
      expect(
        twilio
          .messages()
          .filter((m) => m.To === SECOND_PHONE)
          .map((m) => m.Body),
      ).toEqual([expect.stringContaining('code is'), expect.stringContaining('Klaxon test page')]);

      const rules = page.getByRole('region', { name: 'Notification rules' });
      await rules.getByLabel('High urgency (P1, P2)').fill('0m sms, 2m voice');
      await rules.getByLabel('Low urgency (P3, P4)').fill('0m email');
      await rules.getByLabel('From').fill('22:00');
      await rules.getByLabel('To').fill('07:00');
      await rules.getByRole('button', { name: 'Save rules' }).click();
      await expect.poll(() => rules.getByText('Saved.').count(), { timeout: 15_000 }).toBe(1);
      expect((await api('GET', '/api/v1/me/rules', alice)).json).toEqual({
        rules: {
          high: [
            { afterMs: 0, method: 'sms' },
            { afterMs: 120_000, method: 'voice' },
          ],
          low: [{ afterMs: 0, method: 'email' }],
        },
        quietHours: { from: '22:00', to: '07:00' },
        source: 'api',
      });
      // A step Klaxon cannot read is said so, and nothing changes.
      await rules.getByLabel('High urgency (P1, P2)').fill('soon sms');
      await rules.getByRole('button', { name: 'Save rules' }).click();
      await expect.poll(() => rules.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/not a duration/);
      expect((await api('GET', '/api/v1/me/rules', alice)).json.rules.high).toHaveLength(2);

      // At phone width nothing runs off the side.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, 'me-phone.png'), fullPage: true });

      await added.getByRole('button', { name: 'Remove' }).click();
      await expect.poll(() => methods.getByRole('listitem').count(), { timeout: 15_000 }).toBe(3);
      expect(
        (await api('GET', '/api/v1/me/methods', alice)).json.methods.map((m: { to: string }) => m.to),
      ).not.toContain(SECOND_PHONE);
      await page.context().close();
    },
  );

  it(
    'a service token has no methods: the page says so rather than showing an empty list',
    { timeout: 60_000 },
    async () => {
      const page = await openPage(stack.browser);
      await page.goto(`${base}/me`);
      await page.getByLabel('API token').fill(API_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent(), { timeout: 20_000 })
        .toMatch(/service token, which has no contact methods/);
      await page.context().close();
    },
  );
});
