import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key that signs email acknowledgement links: KLAXON_LINK_SECRET, or one made once and kept in the
 * data dir so links stay valid across restarts of an embedded install.
 */
export function linkSecret(env: { KLAXON_LINK_SECRET?: string; KLAXON_DATA_DIR: string }): string {
  if (env.KLAXON_LINK_SECRET) return env.KLAXON_LINK_SECRET;
  const file = join(env.KLAXON_DATA_DIR, 'link-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return readFileSync(file, 'utf8').trim();
  }
}
