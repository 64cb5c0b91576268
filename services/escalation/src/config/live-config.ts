import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, type KlaxonConfig } from '@klaxon/config';
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

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Puts the next configuration's values into the running one's objects, key by key: every part of the
 * service holds the running objects (the contacts the dispatcher reads, the policies the rosters read), so
 * changing them where they are reaches all of them at once, with no part left on the old file.
 */
function replaceInPlace(target: Record<string, unknown>, next: Record<string, unknown>) {
  for (const key of Object.keys(target)) if (!(key in next)) delete target[key];
  for (const [key, value] of Object.entries(next)) {
    const held = target[key];
    if (Array.isArray(held) && Array.isArray(value)) held.splice(0, held.length, ...(value as unknown[]));
    else if (isRecord(held) && isRecord(value)) replaceInPlace(held, value);
    else target[key] = value;
  }
}

export interface LiveConfigDeps {
  config: KlaxonConfig;
  /** The file it came from (`KLAXON_CONFIG`); without it, a reload is refused. */
  file?: string;
  store: EventStore;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called after a configuration was applied, for what keeps its own copy (the merged schedules). */
  onApplied?: () => void;
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
    let text: string;
    let next: KlaxonConfig;
    try {
      text = readFileSync(file, 'utf8');
      next = parseConfig(text, file, this.deps.env ?? process.env);
    } catch (error) {
      if (error instanceof ConfigError)
        return { ok: false, error: { code: 'Invalid', file: error.file, problems: error.problems } };
      return {
        ok: false,
        error: { code: 'Invalid', file, problems: [{ path: '', message: `cannot read the file: ${String(error)}` }] },
      };
    }
    const sha256 = createHash('sha256').update(text).digest('hex');
    const changed = changedSettings(config, next);
    const applied: ConfigEvent = {
      type: 'ConfigApplied',
      data: { sha256, actor: { kind: actor.kind, name: actor.name }, at: toInstant(clock.now()), changed },
    };
    const appended = await store.append(CONFIG_STREAM, [applied], 'any');
    if (!appended.ok) throw new Error(`appending to ${CONFIG_STREAM} failed: ${appended.error.code}`);
    replaceInPlace(config as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>);
    this.version++;
    this.deps.onApplied?.();
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
