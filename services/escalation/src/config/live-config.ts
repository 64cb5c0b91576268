import { applyConfigInPlace, readConfigFile, type KlaxonConfig } from '@klaxon/config';
import {
  changedSettings,
  CONFIG_STREAM,
  createRouter,
  toInstant,
  type Actor,
  type ConfigEvent,
  type KlaxonRouter,
  type Result,
} from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';

export interface Applied {
  sha256: string;
  changed: string[];
}

export type ReloadError =
  { code: 'Invalid'; file: string; problems: Array<{ path: string; message: string }> } | { code: 'NoFile' };

export interface LiveConfigDeps {
  config: KlaxonConfig;
  /** The file it came from (`KLAXON_CONFIG`); without it, a reload is refused. */
  file?: string;
  store: EventStore;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called after a configuration was applied, for what keeps its own copy (the merged schedules, the heartbeats). */
  onApplied?: () => Promise<void> | void;
}

/**
 * The configuration as it runs, reloadable like Alertmanager's: a file that does not validate is refused
 * with its problems and nothing changes; one that does is recorded (`ConfigApplied` in the stream
 * `config`) and applied at once. The router is rebuilt from it on the next alert.
 */
export class LiveConfig {
  private version = 0;
  private built: { version: number; router: KlaxonRouter } | undefined;

  constructor(private readonly deps: LiveConfigDeps) {}

  /** Routes with the configuration in force at each call. */
  readonly router: KlaxonRouter = {
    route: (labels) => this.currentRouter().route(labels),
    immediateLevel: (labels) => this.currentRouter().immediateLevel(labels),
  };

  async reload(actor: Actor): Promise<Result<Applied, ReloadError>> {
    const { file, config, store, clock, logger } = this.deps;
    if (!file) return { ok: false, error: { code: 'NoFile' } };
    const read = readConfigFile(file, this.deps.env ?? process.env);
    if (!read.ok) return { ok: false, error: { code: 'Invalid', ...read.error } };
    const { sha256, config: next } = read.value;
    const changed = changedSettings(config, next);
    const applied: ConfigEvent = {
      type: 'ConfigApplied',
      data: { sha256, actor: { kind: actor.kind, name: actor.name }, at: toInstant(clock.now()), changed },
    };
    const appended = await store.append(CONFIG_STREAM, [applied], 'any');
    if (!appended.ok) throw new Error(`appending to ${CONFIG_STREAM} failed: ${appended.error.code}`);
    applyConfigInPlace(config, next);
    this.version++;
    await this.deps.onApplied?.();
    logger.info({ sha256, changed, actor: applied.data.actor }, 'configuration applied');
    return { ok: true, value: { sha256, changed } };
  }

  private currentRouter(): KlaxonRouter {
    if (this.built?.version !== this.version) {
      const { routes, severityFrom, rules } = this.deps.config;
      this.built = { version: this.version, router: createRouter(routes, severityFrom, rules) };
    }
    return this.built.router;
  }
}
