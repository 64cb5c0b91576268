import type { Twilio } from 'twilio';
import { NotifierError, type Notifier } from './notifier.ts';
import { bundleSmsText, smsText } from './page-messages.ts';
import { receiptCallbackUrl } from './receipt-callback.ts';
import { twilioCall } from './twilio-client.ts';

/** With `publicUrl`, each page asks for its delivery receipt at /webhooks/twilio/status. */
export function twilioSmsNotifier(client: Twilio, from: string, publicUrl?: string): Notifier {
  const deliver = async (to: string | undefined, who: string, body: string, statusCallback?: string) => {
    if (!to) throw new NotifierError(`${who} has no phone number`, false);
    const message = await twilioCall(() =>
      client.messages.create({ to, from, body, ...(statusCallback ? { statusCallback } : {}) }),
    );
    return { providerId: message.sid };
  };
  return {
    channel: 'sms',
    send: (page) =>
      deliver(
        page.contact.phone,
        page.contactName,
        smsText(page),
        publicUrl && receiptCallbackUrl(publicUrl, page.incident.incidentId, page.page.pageId),
      ),
    sendBundle: (bundle) => deliver(bundle.contact.phone, bundle.contactName, bundleSmsText(bundle)),
    sendNotice: (notice) => deliver(notice.contact.phone, notice.contactName, notice.text),
  };
}
