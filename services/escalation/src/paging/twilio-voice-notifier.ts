import twilio, { type Twilio } from 'twilio';
import { NotifierError, type Notifier, type OutgoingBundle, type OutgoingPage } from './notifier.ts';
import { bundleVoiceScript, voiceScript } from './page-messages.ts';
import { receiptCallbackUrl } from './receipt-callback.ts';
import { twilioCall } from './twilio-client.ts';

/** The call's TwiML: read the incident, press 1 to acknowledge (the keypress comes back to /webhooks/twilio/voice). */
export function callTwiml(page: OutgoingPage, publicUrl: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const action = `${publicUrl}/webhooks/twilio/voice?incident=${encodeURIComponent(page.incident.incidentId)}&contact=${encodeURIComponent(page.contactName)}`;
  const gather = response.gather({ numDigits: 1, action, method: 'POST', timeout: 10 });
  gather.say(`${voiceScript(page)} Press 1 to acknowledge.`);
  response.say('No answer received. Goodbye.');
  return response.toString();
}

/** A bundle's call: read how many incidents and the first titles, press 1 to acknowledge all of them. */
export function bundleCallTwiml(bundle: OutgoingBundle, publicUrl: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const action = `${publicUrl}/webhooks/twilio/voice?bundle=${bundle.number}&contact=${encodeURIComponent(bundle.contactName)}`;
  const gather = response.gather({ numDigits: 1, action, method: 'POST', timeout: 10 });
  gather.say(`${bundleVoiceScript(bundle)} Press 1 to acknowledge all of them.`);
  response.say('No answer received. Goodbye.');
  return response.toString();
}

/** A notice read out once; nothing to press. */
export function noticeTwiml(text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  return response.toString();
}

export function twilioVoiceNotifier(client: Twilio, from: string, publicUrl: string): Notifier {
  const call = async (to: string | undefined, who: string, twiml: () => string, statusCallback?: string) => {
    if (!to) throw new NotifierError(`${who} has no phone number`, false);
    const placed = await twilioCall(() =>
      client.calls.create({ to, from, twiml: twiml(), ...(statusCallback ? { statusCallback } : {}) }),
    );
    return { providerId: placed.sid };
  };
  return {
    channel: 'voice',
    // Twilio reports the call once it ends: answered (completed), or busy, unanswered, failed.
    send: (page) =>
      call(
        page.contact.phone,
        page.contactName,
        () => callTwiml(page, publicUrl),
        receiptCallbackUrl(publicUrl, page.incident.incidentId, page.page.pageId),
      ),
    sendBundle: (bundle) => call(bundle.contact.phone, bundle.contactName, () => bundleCallTwiml(bundle, publicUrl)),
    sendNotice: (notice) => call(notice.contact.phone, notice.contactName, () => noticeTwiml(notice.text)),
  };
}
