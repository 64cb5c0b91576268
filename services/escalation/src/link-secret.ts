import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_SECRET_PREFIX, shippedSecretsOf, type KlaxonConfig } from '@klaxon/config';
import type { KlaxonEnv, ShippedSecret } from '@klaxon/service-kit';

type LinkSecretEnv = Pick<
  KlaxonEnv,
  'KLAXON_LINK_SECRET' | 'KLAXON_DATA_DIR' | 'DATABASE_URL' | 'ESDB_CONNECTION_STRING' | 'KAFKA_BROKERS'
>;

/**
 * The key that signs email acknowledgement links: KLAXON_LINK_SECRET, or, on the embedded default, one made
 * once and kept in the data dir so links stay valid across restarts. With a production adapter several
 * instances may serve one store, each with its own data dir: a secret made by one would make its links fail
 * on the others, so there it must be given.
 */
export function linkSecret(env: LinkSecretEnv): { ok: true; secret: string } | { ok: false; error: string } {
  if (env.KLAXON_LINK_SECRET) return { ok: true, secret: env.KLAXON_LINK_SECRET };
  const production = (['DATABASE_URL', 'ESDB_CONNECTION_STRING', 'KAFKA_BROKERS'] as const).filter((v) => env[v]);
  if (production.length > 0) {
    return {
      ok: false,
      error:
        `KLAXON_LINK_SECRET is not set, and ${production.join(', ')} ${production.length > 1 ? 'are' : 'is'} set: ` +
        'every escalation instance of one deployment must sign links with the same secret. Set KLAXON_LINK_SECRET ' +
        '(at least 16 characters, e.g. `openssl rand -base64 32`) to the same value on each instance.',
    };
  }
  const file = join(env.KLAXON_DATA_DIR, 'link-secret');
  try {
    return { ok: true, secret: readFileSync(file, 'utf8').trim() };
  } catch {
    mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return { ok: true, secret: readFileSync(file, 'utf8').trim() };
  }
}

/** For a service's start-up: without a secret it may use, it stops with the reason. */
export function linkSecretOrExit(env: LinkSecretEnv): string {
  const found = linkSecret(env);
  if (found.ok) return found.secret;
  process.stderr.write(`klaxon: ${found.error}\n`);
  process.exit(1);
}

/** A link secret shipped in the repository (the old compose default was one) signs links anyone can forge. */
export const shippedLinkSecret = (env: Pick<KlaxonEnv, 'KLAXON_LINK_SECRET'>): ShippedSecret[] =>
  env.KLAXON_LINK_SECRET?.startsWith(SHIPPED_SECRET_PREFIX)
    ? [{ setting: 'KLAXON_LINK_SECRET', variable: 'KLAXON_LINK_SECRET' }]
    : [];

/** The shipped secrets escalation would use: the API tokens and the link secret. */
export const escalationShippedSecrets = (env: Pick<KlaxonEnv, 'KLAXON_LINK_SECRET'>, config: KlaxonConfig) => [
  ...shippedSecretsOf(config, { api: true }),
  ...shippedLinkSecret(env),
];
