import type { Channel } from '@klaxon/domain';
import type { KlaxonConfig } from '@klaxon/config';
import type { KlaxonEnv, Logger } from '@klaxon/service-kit';
import { emailNotifier } from './email-notifier.ts';
import { failoverNotifier, type NamedNotifier } from './failover-notifier.ts';
import { unconfiguredNotifier, type Notifier } from './notifier.ts';
import { ntfyNotifier } from './ntfy-notifier.ts';
import { twilioClient } from './twilio-client.ts';
import { twilioSmsNotifier } from './twilio-sms-notifier.ts';
import { twilioVoiceNotifier } from './twilio-voice-notifier.ts';
import { vonageSmsNotifier } from './vonage-sms-notifier.ts';
import { vonageVoiceNotifier } from './vonage-voice-notifier.ts';

const HINTS: Record<string, string> = {
  twilio: 'set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM',
  vonage: 'set VONAGE_API_KEY, VONAGE_API_SECRET and VONAGE_FROM (or TWILIO_FROM)',
  'vonage voice': 'set VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY and VONAGE_FROM (or TWILIO_FROM)',
  smtp: 'set SMTP_URL',
  smtp2: 'set SMTP2_URL',
};

/**
 * Providers by configuration (`providers`, the order each channel tries them in) and credentials by
 * environment. A provider without credentials is left out of its channel's list; a channel left with none
 * fails its pages with the reason.
 */
export function notifiersFromEnv(
  env: KlaxonEnv,
  publicUrl: string,
  providers: KlaxonConfig['providers'],
  logger: Logger,
): Record<Channel, Notifier> {
  const timeoutMs = env.KLAXON_PROVIDER_TIMEOUT_MS;
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
      ? twilioClient({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          from: env.TWILIO_FROM,
          apiUrl: env.TWILIO_API_URL,
          timeoutMs,
        })
      : undefined;
  const vonageFrom = env.VONAGE_FROM ?? env.TWILIO_FROM;
  const available: Record<Channel, Record<string, () => Notifier | undefined>> = {
    sms: {
      twilio: () => (twilio ? twilioSmsNotifier(twilio, env.TWILIO_FROM!, publicUrl) : undefined),
      vonage: () =>
        env.VONAGE_API_KEY && env.VONAGE_API_SECRET && vonageFrom
          ? vonageSmsNotifier({
              apiKey: env.VONAGE_API_KEY,
              apiSecret: env.VONAGE_API_SECRET,
              from: vonageFrom,
              apiUrl: env.VONAGE_API_URL,
              timeoutMs,
            })
          : undefined,
    },
    voice: {
      twilio: () => (twilio ? twilioVoiceNotifier(twilio, env.TWILIO_FROM!, publicUrl) : undefined),
      vonage: () =>
        env.VONAGE_APPLICATION_ID && env.VONAGE_PRIVATE_KEY && vonageFrom
          ? vonageVoiceNotifier(
              {
                applicationId: env.VONAGE_APPLICATION_ID,
                privateKey: env.VONAGE_PRIVATE_KEY,
                from: vonageFrom,
                apiUrl: env.VONAGE_API_URL,
                timeoutMs,
              },
              publicUrl,
            )
          : undefined,
    },
    email: {
      smtp: () => (env.SMTP_URL ? emailNotifier(env.SMTP_URL, env.EMAIL_FROM) : undefined),
      smtp2: () => (env.SMTP2_URL ? emailNotifier(env.SMTP2_URL, env.EMAIL_FROM) : undefined),
    },
    // A push method's address is the whole topic URL, of whichever ntfy server the person uses.
    push: { ntfy: () => ntfyNotifier({ token: env.NTFY_TOKEN, timeoutMs }) },
  };
  const channel = (name: Channel, listed: readonly string[]): Notifier => {
    const configured = listed.flatMap((provider): NamedNotifier[] => {
      const notifier = available[name][provider]?.();
      return notifier ? [{ name: provider, notifier }] : [];
    });
    if (configured.length === 0)
      return unconfiguredNotifier(
        name,
        listed.map((provider) => HINTS[`${provider} ${name}`] ?? HINTS[provider] ?? provider).join(' or '),
      );
    return failoverNotifier(name, configured, logger);
  };
  return {
    sms: channel('sms', providers.sms),
    voice: channel('voice', providers.voice),
    email: channel('email', providers.email),
    push: channel('push', providers.push),
  };
}
