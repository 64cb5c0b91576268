import type { Twilio } from 'twilio';
import { NotifierError, type Notifier } from './notifier.ts';
import { bundleSmsText, smsText } from './page-messages.ts';
import { twilioFailure } from './twilio-client.ts';

export function twilioSmsNotifier(client: Twilio, from: string): Notifier {
  return {
    channel: 'sms',
    async send(page) {
      if (!page.contact.phone) throw new NotifierError(`${page.contactName} has no phone number`, false);
      try {
        const message = await client.messages.create({ to: page.contact.phone, from, body: smsText(page) });
        return { providerId: message.sid };
      } catch (error) {
        throw twilioFailure(error);
      }
    },
    async sendBundle(bundle) {
      if (!bundle.contact.phone) throw new NotifierError(`${bundle.contactName} has no phone number`, false);
      try {
        const message = await client.messages.create({ to: bundle.contact.phone, from, body: bundleSmsText(bundle) });
        return { providerId: message.sid };
      } catch (error) {
        throw twilioFailure(error);
      }
    },
  };
}
