import { Auth } from '@vonage/auth';
import { SMS } from '@vonage/sms';
import { NotifierError, type Notifier } from './notifier.ts';
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

/**
 * Vonage's per-message statuses (SMS API): throttled and internal errors may pass; invalid credentials, a
 * barred account, exhausted quota or an account not enabled are Vonage's side but will not pass by waiting;
 * anything else refuses the message itself (bad number, bad sender, too long).
 */
const RETRYABLE = new Set(['1', '5']);
const ACCOUNT_FAULTS = new Set(['4', '8', '9', '11']);

/** An SDK failure as a NotifierError: an HTTP status, a per-message status, or no answer at all. */
function vonageError(error: unknown): NotifierError {
  const failed = (
    error as { getFailedMessages?: () => Array<{ status: string; errorText?: string }> }
  ).getFailedMessages?.()[0];
  if (failed) {
    const retryable = RETRYABLE.has(failed.status);
    return new NotifierError(
      `Vonage status ${failed.status}: ${failed.errorText ?? 'message refused'}`,
      retryable,
      undefined,
      retryable || ACCOUNT_FAULTS.has(failed.status),
    );
  }
  const status = (error as { response?: { status?: number } }).response?.status;
  const retryable = status === undefined || status === 429 || status >= 500;
  return new NotifierError(
    `Vonage${status ? ` ${status}` : ''}: ${(error as Error).message ?? String(error)}`,
    retryable,
    undefined,
    retryable || status === 401 || status === 403,
  );
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
