import { afterEach, describe, expect, it } from 'vitest';
import { signedSmsReply, startEscalation, type Harness } from './support/escalation-harness.ts';

// Twilio refuses an SMS body over 1,600 characters and TwiML over 4,000 for good (the Twilio-shaped server
// here too): a page carrying a whole long title would never reach anyone.
const longTitle = `Disk full & <filling> "fast" on db-1 🚨 ${'&🚨'.repeat(2500)}`;

describe('a page with a very long title', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('goes out by SMS and by call, the title cut with an ellipsis, the reply code and the link kept', async () => {
    h = await startEscalation();
    // L3 is paged by voice in the test runbook: a security alert goes there at once.
    await h.alert(
      { alertname: 'DiskFull', severity: 'critical', category: 'security', service: 's'.repeat(500) },
      { summary: longTitle },
    );
    const { state } = h.service.index.acting()[0]!;
    const pages = Object.values(state.pages);
    expect(pages.filter((p) => p.channel !== 'email').map((p) => `${p.channel} ${p.outcome}`)).toEqual(
      expect.arrayContaining(['sms delivered', 'voice delivered']),
    );
    expect(pages.every((p) => p.outcome === 'delivered')).toBe(true);

    const sms = h.providers.twilio.messages()[0]!.Body;
    expect(sms.length).toBeLessThanOrEqual(1600);
    expect(sms).toContain('Disk full & <filling> "fast" on db-1 🚨');
    expect(sms).toContain('…');
    expect(sms).toMatch(
      new RegExp(`Reply ${state.number}a to ack, ${state.number}c to resolve\\. https://klaxon\\.example\\.com/\\S+$`),
    );
    expect(sms).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);

    const twiml = h.providers.twilio.calls()[0]!.Twiml;
    expect(twiml.length).toBeLessThanOrEqual(4000);
    expect(twiml).toContain('…');
    expect(twiml).toContain(`incident=${state.incidentId}`);
    expect(twiml).toContain('Press 1 to acknowledge.');
  });

  it("the confirmation of an SMS reply cuts the title too, so Twilio takes the reply's TwiML message", async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'DiskFull', severity: 'critical' }, { summary: longTitle });
    const { number } = h.service.index.acting()[0]!.state;
    const message =
      /<Message>([^<]*)<\/Message>/.exec(await signedSmsReply(h, '+15550100001', `${number}a`))?.[1] ?? '';
    expect(message).toMatch(new RegExp(`^Klaxon: Acknowledged #${number} Disk full .*…\\.$`));
    expect(message.length).toBeLessThanOrEqual(1600);
  });
});
