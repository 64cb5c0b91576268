import { z } from 'zod';
import { actorSchema } from '../people/actor.ts';

/**
 * Each configuration an instance applied at run time (`POST /-/reload`, SIGHUP), in the stream `config`:
 * the file's sha256, who asked, when, and the settings it changed, so the audit log shows config history.
 */
export const configEventSchema = z.object({
  type: z.literal('ConfigApplied'),
  data: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    actor: actorSchema,
    at: z.iso.datetime({ offset: true }),
    changed: z.array(z.string()),
  }),
});
export type ConfigEvent = z.infer<typeof configEventSchema>;

export const CONFIG_STREAM = 'config';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The settings that differ between two configurations, two levels deep (`routes`, `contacts.alice`,
 * `severities.P1`): what a reload changed, in words an operator reads.
 */
export function changedSettings(before: unknown, after: unknown, depth = 2, path = ''): string[] {
  if (depth > 0 && isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedSettings(before[key], after[key], depth - 1, path ? `${path}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}
