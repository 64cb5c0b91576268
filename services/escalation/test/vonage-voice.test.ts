import { afterEach, describe, expect, it } from 'vitest';
import type { FakeVonage, VonageCall } from '@klaxon/testing';
import { PUBLIC_URL, type Harness } from './support/escalation-harness.ts';
import { startWithProviders } from './support/provider-env.ts';

const incidentOf = (h: Harness) => h.service.index.acting()[0]!.state;
/** Erin is paged at L3 by voice only: the shipped runbook's manager. */
const voicePage = (h: Harness) =>
  Object.values(incidentOf(h).pages).find((p) => p.channel === 'voice' && p.contact === 'erin')!;

/** The keypress Vonage posts to the call's `input` eventUrl, signed as Vonage signs it (or with `sign`). */
async function keypress(
  h: Harness,
  vonage: FakeVonage,
  call: VonageCall,
  digits: string,
  options: { sign?: (body: string) => string; tamper?: (body: string) => string } = {},
) {
  const input = call.ncco.find((n) => n.action === 'input') as { eventUrl: string[] };
  const body = JSON.stringify({ dtmf: { digits, timed_out: false }, uuid: call.uuid, from: call.to });
  const response = await fetch(`${h.base}${input.eventUrl[0]!.slice(PUBLIC_URL.length)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: (options.sign ?? ((b) => vonage.signWebhook(b)))(body),
    },
    body: options.tamper?.(body) ?? body,
  });
  await h.service.drained();
  return { status: response.status, json: (await response.json()) as unknown };
}

describe("Vonage's Voice API, the second voice provider", () => {
  let h: Harness;
  let vonage: FakeVonage;
  afterEach(async () => {
    await h?.close();
    await vonage?.close();
  });

  it('given a P1 that reaches erin by voice, when Twilio answers 500, then Vonage calls her at once and the page records Vonage', async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  voice: [twilio, vonage]\n'));
    // Twilio is down for everything: the L1 texts fail too (no second SMS provider here), erin's call does not.
    h.providers.twilio.failNext(500, 10);
    await h.alert({ alertname: 'Intrusion', category: 'security', severity: 'critical' });
    const page = voicePage(h);
    expect(page).toMatchObject({ outcome: 'delivered', provider: 'vonage', attempts: 1 });
    expect(vonage.calls).toEqual([
      expect.objectContaining({
        to: '15550100004',
        ncco: expect.arrayContaining([
          expect.objectContaining({ action: 'talk', text: expect.stringContaining('Press 1 to acknowledge') }),
        ]),
      }),
    ]);
    expect(page.providerId).toBe(vonage.calls[0]!.uuid);
  });

  it("erin presses 1 on Vonage's call: the signed keypress acknowledges as erin by voice; a forged or altered one changes nothing", async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  voice: [vonage, twilio]\n'));
    await h.alert({ alertname: 'Intrusion', category: 'security', severity: 'critical' });
    expect(voicePage(h)).toMatchObject({ outcome: 'delivered', provider: 'vonage' });
    const [call] = vonage.calls;

    const forged = await keypress(h, vonage, call!, '1', { sign: (b) => vonage.signWebhook(b, 'not-the-secret') });
    expect(forged.status).toBe(403);
    const altered = await keypress(h, vonage, call!, '2', { tamper: (b) => b.replace('"2"', '"1"') });
    expect(altered.status).toBe(403);
    expect((await keypress(h, vonage, call!, '1', { sign: () => '' })).status).toBe(403);
    expect(incidentOf(h).acknowledged).toBeUndefined();

    expect(await keypress(h, vonage, call!, '2')).toEqual({
      status: 200,
      json: [{ action: 'talk', text: 'Not acknowledged. Goodbye.' }],
    });
    expect(await keypress(h, vonage, call!, '1')).toEqual({
      status: 200,
      json: [{ action: 'talk', text: 'Acknowledged. Thank you. Goodbye.' }],
    });
    expect(incidentOf(h).acknowledged).toMatchObject({ by: 'erin', via: 'voice' });
  });
});
