import type { Channel } from '@klaxon/domain';
import type { KlaxonEnv } from '@klaxon/service-kit';
import { emailNotifier } from './email-notifier.ts';
import { unconfiguredNotifier, type Notifier } from './notifier.ts';
import { twilioClient } from './twilio-client.ts';
import { twilioSmsNotifier } from './twilio-sms-notifier.ts';
import { twilioVoiceNotifier } from './twilio-voice-notifier.ts';

/** Providers by environment: Twilio for SMS and voice, SMTP for email; a channel left unset fails its pages with the reason. */
export function notifiersFromEnv(env: KlaxonEnv, publicUrl: string): Record<Channel, Notifier> {
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
      ? twilioClient({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          from: env.TWILIO_FROM,
          apiUrl: env.TWILIO_API_URL,
        })
      : undefined;
  const twilioHint = 'set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM';
  return {
    sms: twilio ? twilioSmsNotifier(twilio, env.TWILIO_FROM!) : unconfiguredNotifier('sms', twilioHint),
    voice: twilio
      ? twilioVoiceNotifier(twilio, env.TWILIO_FROM!, publicUrl)
      : unconfiguredNotifier('voice', twilioHint),
    email: env.SMTP_URL ? emailNotifier(env.SMTP_URL, env.EMAIL_FROM) : unconfiguredNotifier('email', 'set SMTP_URL'),
  };
}
