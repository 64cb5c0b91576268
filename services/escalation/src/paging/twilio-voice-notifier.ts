import twilio, { type Twilio } from 'twilio';
import { NotifierError, type Notifier, type OutgoingPage } from './notifier.ts';
import { voiceScript } from './page-messages.ts';
import { twilioFailure } from './twilio-client.ts';

/** The call's TwiML: read the incident, press 1 to acknowledge (the keypress comes back to /webhooks/twilio/voice). */
export function callTwiml(page: OutgoingPage, publicUrl: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const action = `${publicUrl}/webhooks/twilio/voice?incident=${encodeURIComponent(page.incident.incidentId)}&contact=${encodeURIComponent(page.contactName)}`;
  const gather = response.gather({ numDigits: 1, action, method: 'POST', timeout: 10 });
  gather.say(`${voiceScript(page)} Press 1 to acknowledge.`);
  response.say('No answer received. Goodbye.');
  return response.toString();
}

export function twilioVoiceNotifier(client: Twilio, from: string, publicUrl: string): Notifier {
  return {
    channel: 'voice',
    async send(page) {
      if (!page.contact.phone) throw new NotifierError(`${page.contactName} has no phone number`, false);
      try {
        const call = await client.calls.create({ to: page.contact.phone, from, twiml: callTwiml(page, publicUrl) });
        return { providerId: call.sid };
      } catch (error) {
        throw twilioFailure(error);
      }
    },
  };
}
