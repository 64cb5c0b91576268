import { Auth } from '@vonage/auth';
import { SMS } from '@vonage/sms';
import { NotifierError, type Notifier } from './notifier.ts';
import { vonageError } from './vonage-errors.ts';
import { bundleSmsText, smsText } from './page-messages.ts';

export interface VonageSettings {
  apiKey: string;
  apiSecret: string;
  /** The sender: a number in E.164 or an alphanumeric id. */
  from: string;
  /** Another base URL for the SMS API (tests point it at a local server); unset means Vonage's own. */
  apiUrl?: string;
  /** How long a call may take before it counts as a fault of Vonage's. */
  timeoutMs?: number;
}

/** SMS through Vonage's SMS API (`POST /sms/json`), with the official SDK. */
export function vonageSmsNotifier(settings: VonageSettings): Notifier {
  const client = new SMS(new Auth({ apiKey: settings.apiKey, apiSecret: settings.apiSecret }), {
    ...(settings.apiUrl ? { restHost: settings.apiUrl.replace(/\/$/, '') } : {}),
    ...(settings.timeoutMs ? { timeout: settings.timeoutMs } : {}),
  });
  const deliver = async (to: string | undefined, who: string, text: string) => {
    if (!to) throw new NotifierError(`${who} has no phone number`, false);
    try {
      // Vonage writes numbers in E.164 without the plus.
      const sent = await client.send({ to: to.replace(/^\+/, ''), from: settings.from, text });
      return { providerId: sent.messages[0]?.messageId ?? 'vonage' };
    } catch (error) {
      throw vonageError(error);
    }
  };
  return {
    channel: 'sms',
    send: (page) => deliver(page.contact.phone, page.contactName, smsText(page)),
    sendBundle: (bundle) => deliver(bundle.contact.phone, bundle.contactName, bundleSmsText(bundle)),
    sendNotice: (notice) => deliver(notice.contact.phone, notice.contactName, notice.text),
  };
}
