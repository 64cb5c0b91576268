import { z } from 'zod';
import { isObject, labelSetIssues } from './in-place-check.ts';

/**
 * A label or annotation set: an object of string values. Checked in place rather than with
 * `z.record(z.string(), z.string())`, which copies the object entry by entry: on 50-alert notifications that
 * copy cost more than the rest of an alert's check, on each side of the bus (docs/benchmarks.md).
 */
export const labelSetSchema = z
  .custom<Record<string, string>>(isObject, 'expected an object of string values')
  .check((ctx) => labelSetIssues(ctx.value, undefined, ctx.issues));
