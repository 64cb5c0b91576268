import { isIPv4 } from 'node:net';

/** A secret still at a value shipped in the repository (which anyone can read): where it is set, and how to set it. */
export interface ShippedSecret {
  /** The setting that holds it, e.g. `api.tokens.0` of klaxon.yaml or `KLAXON_LINK_SECRET`. */
  setting: string;
  /** The environment variable that replaces it, when known. */
  variable?: string;
}

export type ListenHost =
  { ok: true; host: string; loopbackOnly: boolean; message?: string } | { ok: false; error: string };

const EVERYWHERE = '0.0.0.0';
const LOOPBACK = '127.0.0.1';

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));

const toSet = (shipped: ShippedSecret[]) =>
  shipped.map((s) => (s.variable && s.variable !== s.setting ? `${s.variable} (${s.setting})` : s.setting)).join(', ');

/**
 * Where a service listens. With a shipped secret in use, anyone who can reach it can act with that secret
 * (read incidents, post alerts, forge links): it listens on loopback only, and a non-loopback
 * `KLAXON_HOST` is refused, so the quick start works on a laptop and nothing exposed runs on known secrets.
 */
export function listenHost(requested: string | undefined, shipped: ShippedSecret[]): ListenHost {
  if (shipped.length === 0) return { ok: true, host: requested ?? EVERYWHERE, loopbackOnly: false };
  if (requested !== undefined && !isLoopback(requested)) {
    return {
      ok: false,
      error:
        `KLAXON_HOST=${requested} is refused: shipped default secrets are in use, and anyone who can reach ` +
        `this address could use them. Set ${toSet(shipped)}, or listen on loopback (KLAXON_HOST=127.0.0.1).`,
    };
  }
  return {
    ok: true,
    host: requested ?? LOOPBACK,
    loopbackOnly: true,
    message: `listening on loopback only: shipped default secrets are in use; set ${toSet(shipped)} to listen on other addresses`,
  };
}

/** For a service's start-up: a refused host stops it with the reason; loopback-only is said once. */
export function listenHostOrExit(
  requested: string | undefined,
  shipped: ShippedSecret[],
  logger: { warn: (obj: object, msg: string) => void },
): string {
  const decided = listenHost(requested, shipped);
  if (!decided.ok) {
    process.stderr.write(`klaxon: ${decided.error}\n`);
    process.exit(1);
  }
  if (decided.message)
    logger.warn({ host: decided.host, variables: shipped.map((s) => s.variable ?? s.setting) }, decided.message);
  return decided.host;
}
