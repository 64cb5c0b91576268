import type { Router } from 'express';
import { applyConfigInPlace, readConfigFile, type ConfigRefusal, type KlaxonConfig } from '@klaxon/config';
import { bearerToken, liveTokenMatcher, type Logger } from '@klaxon/service-kit';

export interface IngestReloadDeps {
  /** The running configuration: its `integrations` are the ones ingest checks tokens against. */
  config: KlaxonConfig;
  /** The file it came from (`KLAXON_CONFIG`), read again at each reload. */
  file: string;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Called after a configuration was applied, for what ingest derived from it (the heartbeat names). */
  onApplied: () => void;
}

export type IngestReload = (
  actor: string,
) =>
  | { ok: true; value: { sha256: string; changed: string[] } }
  | { ok: false; error: ConfigRefusal }
  | { ok: false; error: 'NoFile' };

/** An ingest started on a configuration object (tests), not a file: nothing to read again. */
export const noReload: IngestReload = () => ({ ok: false, error: 'NoFile' });

/**
 * Ingest's part of a reload: the integration tokens and heartbeat monitors of the file read again, or the
 * file refused with its problems and the running ones kept. Ingest keeps no event store, so the applied
 * configuration is logged here and recorded (`ConfigApplied`) by escalation's reload of the same file.
 */
export function ingestReload(deps: IngestReloadDeps): IngestReload {
  return (actor) => {
    const read = readConfigFile(deps.file, deps.env ?? process.env);
    if (!read.ok) {
      deps.logger.error({ refused: read.error, actor }, 'configuration not reloaded; the running one stays');
      return read;
    }
    const changed = applyConfigInPlace(deps.config, read.value.config);
    deps.onApplied();
    deps.logger.info({ sha256: read.value.sha256, changed, actor }, 'configuration applied');
    return { ok: true, value: { sha256: read.value.sha256, changed } };
  };
}

/**
 * `POST /-/reload` on ingest: an admin service token of `api.tokens` (ingest reads no personal tokens: it
 * has no event store). `401` without one, `403 {required: admin}` for another role's.
 */
export function reloadRoute(routes: Router, tokens: KlaxonConfig['api']['tokens'], reload: IngestReload): void {
  const serviceToken = liveTokenMatcher(() => Object.fromEntries(tokens.map(({ token }, i) => [String(i), token])));
  routes.post('/-/reload', (req, res) => {
    const index = serviceToken(bearerToken(req.headers.authorization));
    const caller = index === undefined ? undefined : tokens[Number(index)];
    if (!caller)
      return void res.status(401).json({ error: 'missing or unknown API token (Authorization: Bearer <token>)' });
    if (caller.role !== 'admin')
      return void res.status(403).json({ error: 'reloading the configuration is for admins', required: 'admin' });
    const reloaded = reload(`service:${caller.name}`);
    if (reloaded.ok) return void res.json(reloaded.value);
    if (reloaded.error === 'NoFile')
      return void res.status(409).json({ error: 'this instance was started without a configuration file' });
    res.status(400).json({
      error: `${reloaded.error.file} is not a valid Klaxon configuration; the running one stays`,
      problems: reloaded.error.problems,
    });
  });
}
