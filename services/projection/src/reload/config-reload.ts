import { applyConfigInPlace, readConfigFile, type ConfigRefusal, type KlaxonConfig } from '@klaxon/config';
import type { Logger } from '@klaxon/service-kit';

export type ConfigReload = (
  actor: string,
) =>
  | { ok: true; value: { sha256: string; changed: string[] } }
  | { ok: false; error: ConfigRefusal }
  | { ok: false; error: 'NoFile' };

/**
 * Projection's part of a reload: the file read again and put into the running configuration in place (the
 * authenticator's tokens and roles, the KPI routes' zones and targets read it at each request), or refused
 * with its problems and the running one kept. Escalation's reload of the same file is the one recorded as
 * `ConfigApplied`; projection logs its own.
 */
export function configReload(deps: { config: KlaxonConfig; file?: string; logger: Logger }): ConfigReload {
  return (actor) => {
    if (!deps.file) return { ok: false, error: 'NoFile' };
    const read = readConfigFile(deps.file);
    if (!read.ok) {
      deps.logger.error({ refused: read.error, actor }, 'configuration not reloaded; the running one stays');
      return read;
    }
    const changed = applyConfigInPlace(deps.config, read.value.config);
    deps.logger.info({ sha256: read.value.sha256, changed, actor }, 'configuration applied');
    return { ok: true, value: { sha256: read.value.sha256, changed } };
  };
}
