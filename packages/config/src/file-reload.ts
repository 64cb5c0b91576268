import { applyConfigInPlace, readConfigFile, type ConfigRefusal } from './reload-config.ts';
import type { KlaxonConfig } from './schema.ts';

/** A reload by `actor` (`service:SIGHUP`, `person:alice`): applied, or refused with why. */
export type FileReload = (
  actor: string,
) =>
  | { ok: true; value: { sha256: string; changed: string[] } }
  | { ok: false; error: ConfigRefusal }
  | { ok: false; error: 'NoFile' };

/** What a reload logs to (a pino logger is one); this package keeps no logger of its own. */
export interface ReloadLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface FileReloadDeps {
  /** The running configuration, changed in place by a reload. */
  config: KlaxonConfig;
  /** The file it came from (`KLAXON_CONFIG`), read again at each reload; without it, a reload is refused. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  logger: ReloadLogger;
  /** Called after a configuration was applied, for what the service derived from it. */
  onApplied?: () => void;
}

/**
 * A reload by ingest or projection: the file read again and put into the running configuration in place, or
 * refused with its problems and the running one kept. Neither keeps the config stream, so each logs the
 * applied file; escalation's reload of it is the one recorded as `ConfigApplied`.
 */
export function fileReload(deps: FileReloadDeps): FileReload {
  return (actor) => {
    if (!deps.file) return { ok: false, error: 'NoFile' };
    const read = readConfigFile(deps.file, deps.env ?? process.env);
    if (!read.ok) {
      deps.logger.error({ refused: read.error, actor }, 'configuration not reloaded; the running one stays');
      return read;
    }
    const changed = applyConfigInPlace(deps.config, read.value.config);
    deps.onApplied?.();
    deps.logger.info({ sha256: read.value.sha256, changed, actor }, 'configuration applied');
    return { ok: true, value: { sha256: read.value.sha256, changed } };
  };
}

/** `POST /-/reload`'s answer: `200 {sha256, changed}`, `409` without a file, `400 {error, problems}`. */
export function reloadAnswer(reloaded: ReturnType<FileReload>): { status: number; body: object } {
  if (reloaded.ok) return { status: 200, body: reloaded.value };
  if (reloaded.error === 'NoFile')
    return { status: 409, body: { error: 'this instance was started without a configuration file' } };
  return {
    status: 400,
    body: {
      error: `${reloaded.error.file} is not a valid Klaxon configuration; the running one stays`,
      problems: reloaded.error.problems,
    },
  };
}
