import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumAvailable, type FakeTwilio } from '@klaxon/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiCall,
  apiCaller,
  type ConsoleStack,
  phoneSignedIn,
  SHOTS,
  startConsoleStack,
} from './console-browser.ts';
import { REPO_ROOT } from './klaxon-process.ts';

const available = chromiumAvailable('the on-call page in a real Chromium');
const API_TOKEN = 'console-oncall-api-token-01';

describe.runIf(available)('the on-call page: people change who is on call from a phone', () => {
  let stack: ConsoleStack;
  let base: string;
  let twilio: FakeTwilio;

  let api: ApiCall;
  const tokenOf = async (person: string): Promise<string> =>
    (await api('POST', `/api/v1/people/${person}/tokens`, API_TOKEN, { name: 'phone' })).json.token;
  const onCallNow = async (): Promise<{ onCall: string; members: string[] }> =>
    (await api('GET', '/api/v1/schedules')).json.schedules.find((s: { name: string }) => s.name === 'primary-oncall');

  beforeAll(async () => {
    // The shipped configuration, with carl (the CTO at L4) only watching.
    const config = readFileSync(join(REPO_ROOT, 'klaxon.yaml'), 'utf8').replace(
      /^(\s*carl:\s*\{[^}]*?)\s*\}/m,
      '$1, role: viewer }',
    );
    expect(config).toMatch(/carl:.*role: viewer/);
    stack = await startConsoleStack({ name: 'console-oncall', config, env: { KLAXON_API_TOKEN: API_TOKEN } });
    ({ base, twilio } = stack);
    api = apiCaller(base, API_TOKEN);
  }, 150_000);

  afterAll(async () => {
    await stack?.close();
  });

  const onPhoneAs = async (token: string): Promise<Page> => {
    const page = await phoneSignedIn(stack, '/oncall', token);
    await expect
      .poll(() => page.getByRole('list', { name: 'Shifts of primary-oncall' }).isVisible(), { timeout: 20_000 })
      .toBe(true);
    return page;
  };

  it(
    'a responder takes the pager until two hours from now, sees who changed it on the timeline, and removes it',
    { timeout: 120_000 },
    async () => {
      const before = await onCallNow();
      // Whoever of the two is not on call this week takes the pager.
      const taker = before.members.find((m) => m !== before.onCall)!;
      const page = await onPhoneAs(await tokenOf(taker));
      await page.getByLabel('Take the pager until…').fill('2h');
      await page.getByRole('button', { name: 'Take the pager' }).click();
      await expect.poll(() => page.getByText('Take the pager: done.').count(), { timeout: 15_000 }).toBe(1);
      expect((await onCallNow()).onCall).toBe(taker);
      const first = page.getByRole('list', { name: 'Shifts of primary-oncall' }).getByRole('listitem').first();
      await expect.poll(() => first.textContent(), { timeout: 15_000 }).toContain(`changed by ${taker}`);
      // The on-call engineer who lost the two hours was told, by SMS, who took them.
      await expect
        .poll(() => twilio.messages().filter((m) => m.Body.includes(`${taker} changed primary-oncall`)).length)
        .toBe(1);
      // At phone width nothing runs off the side.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, 'oncall-take-phone.png'), fullPage: true });

      await first.getByRole('button', { name: 'Remove' }).click();
      await expect.poll(() => page.getByText('Remove the override: done.').count(), { timeout: 15_000 }).toBe(1);
      expect((await onCallNow()).onCall).toBe(before.onCall);
      await page.context().close();
    },
  );

  it('a viewer sees no buttons that change on-call time, and the API refuses them', { timeout: 120_000 }, async () => {
    const carl = await tokenOf('carl');
    const page = await onPhoneAs(carl);
    for (const name of ['Take the pager', 'Cover this shift', 'Give', 'Remove'])
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    expect(await page.getByLabel('Take the pager until…').count()).toBe(0);
    expect(await api('POST', '/api/v1/schedules/primary-oncall/take', carl, { until: '2h' })).toMatchObject({
      status: 403,
      json: { required: 'responder' },
    });
    await page.context().close();
  });
});
