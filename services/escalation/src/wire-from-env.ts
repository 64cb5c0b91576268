import { join } from 'node:path';
import type { Bus } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import type { EventStore } from '@klaxon/event-store';
import type { KlaxonEnv, Logger } from '@klaxon/service-kit';
import { createEscalationService } from './escalation-service.ts';
import { linkSecretOrExit } from './link-secret.ts';
import { notifiersFromEnv } from './paging/notifiers-from-env.ts';

/** The escalation service as `pnpm start` and its own process run it: providers and secrets from the environment. */
export function escalationFromEnv(
  env: KlaxonEnv,
  deps: { logger: Logger; store: EventStore; bus: Bus; config: KlaxonConfig },
) {
  const publicUrl = (env.KLAXON_PUBLIC_URL ?? `http://localhost:${env.ESCALATION_PORT}`).replace(/\/$/, '');
  return createEscalationService({
    ...deps,
    notifiers: notifiersFromEnv(env, publicUrl, deps.config.providers, deps.logger),
    publicUrl,
    linkSecret: linkSecretOrExit(env),
    twilioAuthToken: env.TWILIO_AUTH_TOKEN,
    vonageSignatureSecret: env.VONAGE_SIGNATURE_SECRET,
    projectionUrl: env.KLAXON_PROJECTION_URL ?? `http://127.0.0.1:${env.PROJECTION_PORT}`,
    snapshotPath: join(env.KLAXON_DATA_DIR, 'escalation-index.snapshot.json'),
    consumerStallMs: env.KLAXON_CONSUMER_STALL_MS,
    configFile: env.KLAXON_CONFIG,
  });
}
