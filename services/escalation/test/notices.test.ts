import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

describe('notices: messages to a person outside an incident', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('goes by SMS to a person with a phone, once, and pages nobody', async () => {
    h = await startEscalation();
    const sent = await h.service.notices.send('bob', {
      subject: 'Your shift moved',
      text: 'Alice covers you tonight.',
    });
    expect(sent).toMatchObject({ ok: true, channel: 'sms' });
    expect(h.providers.twilio.messages()).toEqual([
      expect.objectContaining({ To: '+15550100002', Body: 'Alice covers you tonight.' }),
    ]);
    expect(h.providers.twilio.calls()).toHaveLength(0);
    expect(h.service.index.size()).toBe(0);
  });

  it('goes by email with its subject when asked for that channel', async () => {
    h = await startEscalation();
    const sent = await h.service.notices.send('tom', { subject: 'Code 123456', text: 'Your code is 123456.' }, 'email');
    expect(sent).toMatchObject({ ok: true, channel: 'email' });
    expect(h.providers.smtp.mails.map((m) => [m.subject, m.text?.trim()])).toEqual([
      ['Code 123456', 'Your code is 123456.'],
    ]);
  });

  it("a provider's refusal comes back as the reason, and an unknown person is refused without a send", async () => {
    h = await startEscalation();
    h.providers.twilio.failNext(400);
    const refused = await h.service.notices.send('alice', { subject: 's', text: 't' });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('Twilio 400') });
    expect(await h.service.notices.send('mallory', { subject: 's', text: 't' })).toEqual({
      ok: false,
      error: 'mallory is not a contact',
    });
    expect(h.providers.twilio.messages()).toHaveLength(0);
  });
});
