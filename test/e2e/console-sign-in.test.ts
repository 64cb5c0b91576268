import { join } from 'node:path';
import { chromiumAvailable, freePort } from '@klaxon/testing';
import { startOpenIdProvider, type OpenIdProvider } from '@klaxon/testing/openid-provider';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SHOTS } from './console-browser.ts';
import { startPeopleStack, type PeopleStack } from './people-stack.ts';

const available = chromiumAvailable('console sign-in through an OpenID Provider in a real Chromium');

describe.runIf(available)('console sign-in through an OpenID Provider, in a real Chromium', () => {
  let provider: OpenIdProvider;
  let stack: PeopleStack;
  let browser: Browser;
  let base: string;
  let incidentId: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOpenIdProvider({ redirectUri: `${base}/auth/callback` });
    stack = await startPeopleStack({
      port,
      // The browser reads the wall clock: the incident's times then read as they would in use.
      start: new Date().toISOString(),
      escalationYaml: `auth:\n  oidc: { issuer: "${provider.issuer}", clientId: ${provider.clientId}, clientSecret: ${provider.clientSecret} }\n`,
    });
    incidentId = await stack.openIncident();
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await provider?.close();
  });

  it(
    "rita signs in at the provider's login and consent pages, sees the incident, acknowledges it as herself and signs out",
    { timeout: 120_000 },
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await expect
        .poll(() => page.getByRole('link', { name: 'Sign in with single sign-on' }).isVisible(), { timeout: 15_000 })
        .toBe(true);
      await page.screenshot({ path: join(SHOTS, 'signin-oidc-laptop.png') });
      await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();

      // The provider's own pages, on its own origin.
      await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
      await page.getByPlaceholder('Enter any login').fill('rita@example.com');
      await page.getByPlaceholder('and password').fill('correct horse');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();

      // Back at Klaxon, signed in as rita by her email, the incident in the list.
      await page.waitForURL(`${base}/`, { timeout: 15_000 });
      await expect.poll(() => page.getByText('Signed in as rita (responder)').count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(() => page.getByText('OrdersDown is firing').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      const cookies = await context.cookies(base);
      expect(cookies.find((c) => c.name === 'klaxon_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

      // A responder has no link to the audit log (it answers admins only).
      const nav = page.getByRole('navigation', { name: 'Console' });
      expect(await nav.getByRole('link', { name: 'KPIs' }).count()).toBe(1);
      expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);

      await page
        .getByRole('link', { name: /OrdersDown is firing/ })
        .first()
        .click();
      await page.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => page.getByText('Acknowledged by rita via api').count(), { timeout: 15_000 }).toBe(1);

      // The KPI page reads projection through escalation with the session cookie: rita's acknowledgement
      // is credited to her.
      await nav.getByRole('link', { name: 'KPIs' }).click();
      const ritaRow = page.getByRole('row', { name: /^rita / });
      await expect.poll(() => ritaRow.count(), { timeout: 15_000 }).toBe(1);
      // Pages, night pages (by the wall clock), failed, acknowledged, resolved.
      await expect
        .poll(async () => (await ritaRow.getByRole('cell').allTextContents()).filter((_, i) => i !== 1), {
          timeout: 15_000,
        })
        .toEqual(['1', '1', '1', '0']);
      await page.screenshot({ path: join(SHOTS, 'signed-in-oidc-laptop.png'), fullPage: true });
      const incident = stack.escalation.index.get(incidentId)?.state;
      expect(incident?.acknowledged).toMatchObject({ by: 'rita' });

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Sign in to Klaxon' }).isVisible(), { timeout: 15_000 })
        .toBe(true);
      // The session ended on the server: its cookie, replayed, is refused.
      const session = cookies.find((c) => c.name === 'klaxon_session')!;
      const replayed = await fetch(`${base}/api/v1/me`, { headers: { cookie: `klaxon_session=${session.value}` } });
      expect(replayed.status).toBe(401);
      await context.close();
    },
  );

  it('an admin signed in has the Audit link, and the audit page shows the sign-ins', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
    await page.getByPlaceholder('Enter any login').fill('ada@example.com');
    await page.getByPlaceholder('and password').fill('correct horse');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${base}/`, { timeout: 15_000 });
    await expect.poll(() => page.getByText('Signed in as ada (admin)').count(), { timeout: 15_000 }).toBe(1);
    const audit = page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' });
    await expect.poll(() => audit.count(), { timeout: 15_000 }).toBe(1);
    await audit.click();
    await expect.poll(() => page.getByText('session.started').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await context.close();
  });
});
