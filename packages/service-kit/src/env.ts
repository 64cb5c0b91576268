import { resolve } from 'node:path';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Environment variables of the public contract (README, "Environment"), read once and validated. */
export const envSchema = z.object({
  INGEST_PORT: port(8080),
  ESCALATION_PORT: port(8081),
  PROJECTION_PORT: port(8082),
  KLAXON_DATA_DIR: z.string().min(1).default('./data'),
  KLAXON_CONFIG: z.string().min(1).default('./klaxon.yaml'),
  KLAXON_PUBLIC_URL: z.string().url().optional(),
  KLAXON_PROJECTION_URL: z.string().url().optional(),
  DATABASE_URL: z.string().min(1).optional(),
  KAFKA_BROKERS: z.string().min(1).optional(),
  ESDB_CONNECTION_STRING: z.string().min(1).optional(),
  KAFKA_PARTITIONS: z.coerce.number().int().positive().default(6),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().positive().optional(),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).default(30_000),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_API_URL: z.string().url().optional(),
  SMTP_URL: z.string().min(1).optional(),
  /** The second SMTP relay (`providers.email: [smtp, smtp2]`). */
  SMTP2_URL: z.string().min(1).optional(),
  VONAGE_API_KEY: z.string().min(1).optional(),
  VONAGE_API_SECRET: z.string().min(1).optional(),
  /** Vonage's sender; unset means TWILIO_FROM. */
  VONAGE_FROM: z.string().min(1).optional(),
  VONAGE_API_URL: z.string().url().optional(),
  /** Vonage's Voice API signs in as an application: its id and private key (PEM, or a path to the file). */
  VONAGE_APPLICATION_ID: z.string().min(1).optional(),
  VONAGE_PRIVATE_KEY: z.string().min(1).optional(),
  /** The account's signature secret, which signs Vonage's webhooks (the keypress of a call). */
  VONAGE_SIGNATURE_SECRET: z.string().min(1).optional(),
  /** An ntfy access token, for push topics on a server that needs one. */
  NTFY_TOKEN: z.string().min(1).optional(),
  /** How long a provider may take to answer before it counts as down and the next provider is tried. */
  KLAXON_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  EMAIL_FROM: z.string().min(1).default('Klaxon <klaxon@localhost>'),
  KLAXON_LINK_SECRET: z.string().min(16).optional(),
  // Unset: 0.0.0.0, or loopback while a shipped default secret is in use (listen-host.ts).
  KLAXON_HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long escalation's bus consumer may be stuck on a record, with alerts waiting, before /ready fails. */
  KLAXON_CONSUMER_STALL_MS: z.coerce.number().int().positive().default(60_000),
  /** How long projection may go without advancing, with events waiting, before /ready fails. */
  KLAXON_PROJECTION_STALL_MS: z.coerce.number().int().positive().default(60_000),
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024),
});

export type KlaxonEnv = z.infer<typeof envSchema>;

export class EnvError extends Error {}

export function readEnv(source: NodeJS.ProcessEnv = process.env): KlaxonEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnvError(`invalid environment: ${problems}`);
  }
  // `pnpm --filter <service> start` runs in the package's folder; relative paths mean where pnpm was invoked.
  const base = source.INIT_CWD ?? process.cwd();
  return {
    ...parsed.data,
    KLAXON_DATA_DIR: resolve(base, parsed.data.KLAXON_DATA_DIR),
    KLAXON_CONFIG: resolve(base, parsed.data.KLAXON_CONFIG),
  };
}
