import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { changedSettings } from '@klaxon/domain';
import { ConfigError, parseConfig } from './load-config.ts';
import type { KlaxonConfig } from './schema.ts';

export interface ConfigRead {
  config: KlaxonConfig;
  sha256: string;
}

export interface ConfigRefusal {
  file: string;
  problems: Array<{ path: string; message: string }>;
}

/** The configuration file read again, as `check-config` would: its parsed form and sha256, or why not. */
export function readConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): { ok: true; value: ConfigRead } | { ok: false; error: ConfigRefusal } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    return { ok: true, value: { config: parseConfig(text, file, env), sha256: sha256Of(text) } };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error: { file: error.file, problems: error.problems } };
    return { ok: false, error: { file, problems: [{ path: '', message: `cannot read the file: ${String(error)}` }] } };
  }
}

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function replaceInPlace(target: Record<string, unknown>, next: Record<string, unknown>) {
  for (const key of Object.keys(target)) if (!(key in next)) delete target[key];
  for (const [key, value] of Object.entries(next)) {
    const held = target[key];
    if (Array.isArray(held) && Array.isArray(value)) held.splice(0, held.length, ...(value as unknown[]));
    else if (isRecord(held) && isRecord(value)) replaceInPlace(held, value);
    else target[key] = value;
  }
}

/**
 * Puts the next configuration's values into the running one's objects, key by key, and says which
 * settings changed: every part of a service holds the running objects (the contacts the dispatcher reads,
 * the tokens the authenticator reads), so changing them where they are reaches all of them at once, with
 * no part left on the old file.
 */
export function applyConfigInPlace(running: KlaxonConfig, next: KlaxonConfig): string[] {
  const changed = changedSettings(running, next);
  replaceInPlace(running as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>);
  return changed;
}
