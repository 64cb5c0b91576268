import pino from 'pino';
import { readEnv } from '@klaxon/service-kit';
import { startFakeVonage, type FakeVonage } from '@klaxon/testing';
import { notifiersFromEnv } from '../../src/paging/notifiers-from-env.ts';
import { PUBLIC_URL, startEscalation, TWILIO_FROM, type Harness } from './escalation-harness.ts';
import { testConfig } from './test-config.ts';

export const PROVIDER_TIMEOUT_MS = 300;

/**
 * Escalation whose providers are wired as in production (`providers` from the configuration, credentials
 * from the environment, each reached by its SDK), pointed at local servers of Twilio's, Vonage's and SMTP's shape.
 */
export async function startWithProviders(extraConfig: string): Promise<{ h: Harness; vonage: FakeVonage }> {
  const vonage = await startFakeVonage();
  const config = testConfig({ extra: extraConfig });
  const h = await startEscalation({
    config,
    vonageSignatureSecret: vonage.signatureSecret,
    notifiers: (providers) =>
      notifiersFromEnv(
        readEnv({
          KLAXON_DATA_DIR: '/nonexistent',
          TWILIO_ACCOUNT_SID: providers.twilio.accountSid,
          TWILIO_AUTH_TOKEN: providers.twilio.authToken,
          TWILIO_FROM,
          TWILIO_API_URL: providers.twilio.url,
          VONAGE_API_KEY: vonage.apiKey,
          VONAGE_API_SECRET: vonage.apiSecret,
          VONAGE_API_URL: vonage.url,
          VONAGE_APPLICATION_ID: vonage.applicationId,
          VONAGE_PRIVATE_KEY: vonage.privateKey,
          SMTP_URL: providers.smtp.url,
          KLAXON_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
        }),
        PUBLIC_URL,
        config.providers,
        pino({ level: 'silent' }),
      ),
  });
  return { h, vonage };
}
