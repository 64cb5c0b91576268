import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { NotifierError, type Notifier } from './notifier.ts';
import { bundleVoiceScript, voiceScript } from './page-messages.ts';
import { vonageError } from './vonage-errors.ts';

export interface VonageVoiceSettings {
  applicationId: string;
  /** The application's private key: PEM text, or a path to the file (the SDK reads either). */
  privateKey: string;
  /** The number calls come from, in E.164. */
  from: string;
  /** Another base URL for the Voice API (tests point it at a local server); unset means Vonage's own. */
  apiUrl?: string;
  timeoutMs?: number;
}

type Ncco = Array<Record<string, unknown>>;

/** Read the text, then wait for one key: 1 comes back to /webhooks/vonage/voice as an acknowledgement. */
const keypressNcco = (text: string, eventUrl: string): Ncco => [
  { action: 'talk', text, bargeIn: true },
  { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 1, timeOut: 10 }, eventUrl: [eventUrl] },
  { action: 'talk', text: 'No answer received. Goodbye.' },
];

/**
 * Calls through Vonage's Voice API (`POST /v1/calls`, an application's JWT) with the official SDK: the same
 * script as Twilio's calls, as an NCCO whose keypress Vonage posts, signed, to Klaxon.
 */
export function vonageVoiceNotifier(settings: VonageVoiceSettings, publicUrl: string): Notifier {
  const client = new Voice(new Auth({ applicationId: settings.applicationId, privateKey: settings.privateKey }), {
    ...(settings.apiUrl ? { apiHost: settings.apiUrl.replace(/\/$/, '') } : {}),
    ...(settings.timeoutMs ? { timeout: settings.timeoutMs } : {}),
  });
  const digits = (number: string) => number.replace(/^\+/, '');
  const call = async (to: string | undefined, who: string, ncco: () => Ncco) => {
    if (!to) throw new NotifierError(`${who} has no phone number`, false);
    try {
      const placed = await client.createOutboundCall({
        to: [{ type: 'phone', number: digits(to) }],
        from: { type: 'phone', number: digits(settings.from) },
        ncco: ncco(),
      });
      return { providerId: placed.uuid };
    } catch (error) {
      throw vonageError(error);
    }
  };
  const webhook = `${publicUrl}/webhooks/vonage/voice`;
  return {
    channel: 'voice',
    send: (page) =>
      call(page.contact.phone, page.contactName, () =>
        keypressNcco(
          `${voiceScript(page)} Press 1 to acknowledge.`,
          `${webhook}?incident=${encodeURIComponent(page.incident.incidentId)}&contact=${encodeURIComponent(page.contactName)}`,
        ),
      ),
    sendBundle: (bundle) =>
      call(bundle.contact.phone, bundle.contactName, () =>
        keypressNcco(
          `${bundleVoiceScript(bundle)} Press 1 to acknowledge all of them.`,
          `${webhook}?bundle=${bundle.number}&contact=${encodeURIComponent(bundle.contactName)}`,
        ),
      ),
    sendNotice: (notice) =>
      call(notice.contact.phone, notice.contactName, () => [{ action: 'talk', text: notice.text }]),
  };
}
