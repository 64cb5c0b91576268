import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_BIN, startFakeTwilio, tempDir, type FakeTwilio } from '@klaxon/testing';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT, startReadyKlaxon, twilioEnv, type RunningKlaxon } from './klaxon-process.ts';

/** The browser tests' screenshots are the ones docs/ shows. */
export const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const LAPTOP = { viewport: { width: 1280, height: 860 } };

/**
 * Debian's Chromium, headless: no sandbox (tests may run as root in a container), no GPU, and none of
 * Chromium's own traffic to the internet, which a CI box may not reach and which would only slow the start.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** `pnpm start` on free ports, paging through the Twilio stand-in, and a Chromium to look at its console. */
export interface ConsoleStack {
  /** The console and API (escalation). */
  base: string;
  ingest: string;
  klaxon: RunningKlaxon;
  twilio: FakeTwilio;
  browser: Browser;
  close(): Promise<void>;
}

export interface ConsoleStackOptions {
  /** Names the data directory, `klaxon-<name>-…`, so a leftover one says which test left it. */
  name: string;
  /** klaxon.yaml's text; without it the repository's own klaxon.yaml, as an operator's first start has. */
  config?: string;
  env?: Record<string, string>;
}

export async function startConsoleStack(options: ConsoleStackOptions): Promise<ConsoleStack> {
  const data = tempDir(`klaxon-${options.name}-`);
  // Undone last first, also when the start fails half way: afterAll has no stack to close then.
  const undo: Array<() => unknown> = [() => data.remove()];
  const close = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    const twilio = await startFakeTwilio();
    undo.push(() => twilio.close());
    if (options.config !== undefined) writeFileSync(data.file('klaxon.yaml'), options.config);
    const klaxon = await startReadyKlaxon(({ escalation }) => ({
      ...(options.config !== undefined ? { KLAXON_CONFIG: data.file('klaxon.yaml') } : {}),
      KLAXON_DATA_DIR: data.path,
      // The links in pages point at the console as a responder's phone would open it.
      KLAXON_PUBLIC_URL: escalation,
      ...twilioEnv(twilio),
      ...options.env,
    }));
    undo.push(() => klaxon.stop());
    const browser = await launchChromium();
    undo.push(() => browser.close());
    return { base: klaxon.escalation, ingest: klaxon.ingest, klaxon, twilio, browser, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A call of the HTTP API as `defaultToken` (or another token), answering its status and its JSON. */
export type ApiCall = (
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
) => Promise<{ status: number; json: any }>;

export const apiCaller =
  (base: string, defaultToken: string): ApiCall =>
  async (method, path, token = defaultToken, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: await response.json() };
  };

/** A page in a context of its own, so that its cookies (its sign-in) are its alone; phone-sized by default. */
export async function openPage(browser: Browser, options: BrowserContextOptions = PHONE): Promise<Page> {
  return (await browser.newContext(options)).newPage();
}

/** Signs in on the console's sign-in form, which the page must be showing or about to show. */
export async function signInWithToken(page: Page, token: string, timeout = 20_000): Promise<void> {
  await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Klaxon' }).isVisible(), { timeout }).toBe(true);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A phone in Berlin, where the runbooks' people live, signed in with `token` at `path` of the console. */
export async function phoneSignedIn(stack: ConsoleStack, path: string, token: string): Promise<Page> {
  const page = await openPage(stack.browser, { ...PHONE, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  await page.goto(`${stack.base}${path}`);
  await signInWithToken(page, token);
  return page;
}
