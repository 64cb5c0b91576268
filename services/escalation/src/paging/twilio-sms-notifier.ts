import type { Twilio } from 'twilio';
import { NotifierError, type Notifier } from './notifier.ts';
import { bundleSmsText, smsText } from './page-messages.ts';
import { twilioCall } from './twilio-client.ts';

export function twilioSmsNotifier(client: Twilio, from: string): Notifier {
  const deliver = async (to: string | undefined, who: string, body: string) => {
    if (!to) throw new NotifierError(`${who} has no phone number`, false);
    const message = await twilioCall(() => client.messages.create({ to, from, body }));
    return { providerId: message.sid };
  };
  return {
    channel: 'sms',
    send: (page) => deliver(page.contact.phone, page.contactName, smsText(page)),
    sendBundle: (bundle) => deliver(bundle.contact.phone, bundle.contactName, bundleSmsText(bundle)),
    sendNotice: (notice) => deliver(notice.contact.phone, notice.contactName, notice.text),
  };
}
