import { z } from 'zod';
import type { $ZodRawIssue } from 'zod/v4/core';
import { isInstantInRange } from '../time/instant.ts';

// Pieces for schemas that check what they are given where it is, instead of building a checked copy: zod's
// objects and records build a new object and, per field, a result object and an issue list, which for the
// alerts of a storm on both sides of the bus was most of what was allocated. They report as zod does: an
// issue per problem, with its path.

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** zod's own test for `z.iso.datetime({ offset: true })`. */
export const DATE_TIME_WITH_OFFSET = z.core.regexes.datetime({ offset: true });

/** An ISO-8601 date-time with an offset that is an Instant once in UTC (years 0001–9999). */
export const isInstantText = (value: unknown): value is string =>
  typeof value === 'string' && DATE_TIME_WITH_OFFSET.test(value) && isInstantInRange(value);

export const INSTANT_TEXT_MESSAGE = 'expected an ISO-8601 date-time with an offset, within years 0001–9999 in UTC';

/** A field that may be left out, or else holds a string. */
export const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** An issue with one field of an object checked in place. */
export const fieldIssue = (
  issues: $ZodRawIssue[],
  checked: Record<string, unknown>,
  field: string,
  message: string,
): void => void issues.push({ code: 'custom', message, path: [field], input: checked[field] });

/**
 * What is wrong with a label set, found under `field` of what is checked (or as the whole of it): an issue
 * for each value that is not a string. Nothing is allocated for a good set: it is checked for every alert.
 */
export function labelSetIssues(set: Record<string, unknown>, field: string | undefined, issues: $ZodRawIssue[]): void {
  for (const key in set) {
    const value = set[key];
    if (typeof value === 'string') continue;
    issues.push({
      code: 'custom',
      message: `expected a string, got ${value === null ? 'null' : typeof value}`,
      path: field === undefined ? [key] : [field, key],
      input: value,
    });
  }
}

/** A label set in `field` of what is checked: the issues of its values, or one for a field that is no object (none for one left out, when it may be). */
export function labelSetFieldIssues(
  issues: $ZodRawIssue[],
  checked: Record<string, unknown>,
  field: string,
  optional = false,
): void {
  const set = checked[field];
  if (isObject(set)) labelSetIssues(set, field, issues);
  else if (!(optional && set === undefined)) fieldIssue(issues, checked, field, 'expected an object of string values');
}
