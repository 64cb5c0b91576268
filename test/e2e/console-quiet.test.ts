import { join } from 'node:path';
import { chromiumAvailable } from '@klaxon/testing';
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
import { quickRunbookYaml } from './quick-runbook.ts';

const available = chromiumAvailable('the quiet page in a real Chromium');
const API_TOKEN = 'console-quiet-api-token-0001';

describe.runIf(available)('the quiet page: silences, maintenance windows and heartbeats from a phone', () => {
  let stack: ConsoleStack;
  let base: string;

  let api: ApiCall;
  const tokenOf = async (person: string): Promise<string> =>
    (await api('POST', `/api/v1/people/${person}/tokens`, API_TOKEN, { name: 'phone' })).json.token;

  beforeAll(async () => {
    const config = `${quickRunbookYaml({
      ackTimeout: '1h',
      webhookToken: 'console-quiet-events-01',
      apiToken: API_TOKEN,
    }).replace(
      'contacts:\n',
      'contacts:\n  vic:   { phone: "+15550100009", timezone: Europe/Berlin, role: viewer }\n',
    )}heartbeats:
  nightly-backup: { interval: 24h, grace: 1h, labels: { severity: warning } }
  batch-import: { interval: 1s, labels: { severity: warning } }
maintenance:
  db-saturday:
    matchers: { service: bar-db }
    days: [sat]
    from: "02:00"
    to: "04:00"
    timezone: Europe/Berlin
    comment: weekly vacuum
`;
    stack = await startConsoleStack({ name: 'console-quiet', config });
    ({ base } = stack);
    api = apiCaller(base, API_TOKEN);
  }, 150_000);

  afterAll(async () => {
    await stack?.close();
  });

  const onPhoneAs = async (token: string): Promise<Page> => {
    const page = await phoneSignedIn(stack, '/quiet', token);
    await expect.poll(() => page.getByRole('list', { name: 'Heartbeats' }).isVisible(), { timeout: 20_000 }).toBe(true);
    return page;
  };

  it(
    "a responder sees the heartbeats' states and the windows, adds a silence with amtool-style matchers, and expires it",
    { timeout: 120_000 },
    async () => {
      const page = await onPhoneAs(await tokenOf('alice'));
      const heartbeats = page.getByRole('list', { name: 'Heartbeats' });
      // batch-import (1 s, never beaten) is missed by now; nightly-backup is not due for a day.
      await expect
        .poll(
          async () => (await heartbeats.getByRole('listitem').filter({ hasText: 'batch-import' }).textContent()) ?? '',
          {
            timeout: 20_000,
          },
        )
        .toContain('missed');
      expect(await heartbeats.getByRole('listitem').filter({ hasText: 'nightly-backup' }).textContent()).toMatch(
        /nightly-backup\s*ok/,
      );
      // The window of klaxon.yaml is shown, and is changed there: no Expire button, even for its admin.
      const maintenance = page.getByRole('list', { name: 'Maintenance windows' });
      expect(await maintenance.textContent()).toContain('service=bar-db');
      expect(await maintenance.textContent()).toContain('sat 02:00–04:00 Europe/Berlin');
      expect(await maintenance.getByRole('button').count()).toBe(0);

      await page.getByLabel('Matchers').fill('alertname=DiskFull service=~db.*');
      await page.getByLabel('For').fill('2h');
      await page.getByLabel('Why').fill('resizing the volume');
      await page.getByRole('button', { name: 'Add silence' }).click();
      await expect.poll(() => page.getByText('Silence added.').count(), { timeout: 15_000 }).toBe(1);
      const { silences } = (await api('GET', '/api/v1/silences')).json;
      expect(silences).toEqual([
        expect.objectContaining({
          matchers: { alertname: 'DiskFull', service: '~db.*' },
          comment: 'resizing the volume',
          createdBy: { kind: 'person', name: 'alice' },
        }),
      ]);
      expect(Date.parse(silences[0].end) - Date.parse(silences[0].start)).toBe(2 * 3600_000);
      const listed = page.getByRole('list', { name: 'Silences' });
      await expect.poll(() => listed.textContent(), { timeout: 15_000 }).toContain('alertname=DiskFull service=~db.*');
      expect(await listed.textContent()).toContain('by alice');
      // At phone width nothing runs off the side.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, 'quiet-phone.png'), fullPage: true });

      await listed.getByRole('button', { name: `Expire ${silences[0].id}` }).click();
      await expect.poll(() => page.getByText(`Expired ${silences[0].id}.`).count(), { timeout: 15_000 }).toBe(1);
      expect((await api('GET', '/api/v1/silences')).json.silences).toEqual([]);
      await expect.poll(() => page.getByText('No silence holds now or later.').count(), { timeout: 15_000 }).toBe(1);
      await page.context().close();
    },
  );

  it(
    'a viewer sees the same, with no form and no Expire buttons; the API refuses a silence from them',
    { timeout: 120_000 },
    async () => {
      const added = await api('POST', '/api/v1/silences', API_TOKEN, {
        matchers: { service: 'checkout' },
        duration: '1h',
        comment: 'release',
      });
      expect(added.status).toBe(201);
      const vic = await tokenOf('vic');
      const page = await onPhoneAs(vic);
      await expect
        .poll(() => page.getByRole('list', { name: 'Silences' }).textContent(), { timeout: 15_000 })
        .toContain('service=checkout');
      expect(await page.getByRole('button', { name: /^Expire/ }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Add silence' }).count()).toBe(0);
      expect(await page.getByLabel('Matchers').count()).toBe(0);
      expect(
        await api('POST', '/api/v1/silences', vic, { matchers: { service: 'x' }, duration: '1h', comment: 'no' }),
      ).toMatchObject({ status: 403 });
      await page.context().close();
    },
  );
});
