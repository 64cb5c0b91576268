import { z } from 'zod';
import { instantMs, SEVERITIES } from '@klaxon/domain';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { IncidentSummary } from '../state/incident-summary.ts';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2026-11-23T10:00:00Z' });

/** A position in the newest-first order: the last incident of the page before. */
const cursorSchema = z.object({ n: z.number().int(), id: z.string() });
type Cursor = z.infer<typeof cursorSchema>;

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
const cursorParam = z.string().transform((text, ctx) => {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned' });
    return z.NEVER;
  }
});

export const listQuerySchema = z
  .object({
    /** `unresolved`: open or acknowledged, what a responder looks at first. */
    status: z.enum(['open', 'acknowledged', 'resolved', 'unresolved']).optional(),
    severity: z.enum(SEVERITIES).optional(),
    service: z.string().min(1).optional(),
    /** Search: words all found, in any case, in the title, service, group key or `#number`. */
    q: z.string().min(1).max(200).optional(),
    /** Incidents opened at or after this instant. */
    since: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: cursorParam.optional(),
  })
  .strict();
export type ListQuery = z.output<typeof listQuerySchema>;

/** Newest first: by number, then by id, so that two incidents sharing a number still have one order. */
const newerFirst = (a: IncidentSummary, b: IncidentSummary) =>
  b.number - a.number || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const after = (s: IncidentSummary, c: Cursor) => s.number < c.n || (s.number === c.n && s.id < c.id);

/** One page of incidents, newest first; `nextCursor` is null on the last page. */
export function listIncidents(
  index: IncidentIndex,
  q: ListQuery,
): { incidents: IncidentSummary[]; nextCursor: string | null } {
  const sinceMs = q.since === undefined ? undefined : Date.parse(q.since);
  const words = q.q?.toLowerCase().split(/\s+/).filter(Boolean) ?? [];
  const found = (s: IncidentSummary) => {
    if (words.length === 0) return true;
    const text = `#${s.number} ${s.title} ${s.service} ${s.groupKey}`.toLowerCase();
    return words.every((w) => text.includes(w));
  };
  const statusFits = (s: IncidentSummary) =>
    !q.status || (q.status === 'unresolved' ? s.status !== 'resolved' : s.status === q.status);
  const matching = index
    .summaries()
    .filter(
      (s) =>
        statusFits(s) &&
        found(s) &&
        (!q.severity || s.severity === q.severity) &&
        (!q.service || s.service === q.service) &&
        (sinceMs === undefined || instantMs(s.openedAt) >= sinceMs) &&
        (!q.cursor || after(s, q.cursor)),
    )
    .sort(newerFirst);
  const incidents = matching.slice(0, q.limit);
  const last = incidents.at(-1);
  return {
    incidents,
    nextCursor: matching.length > q.limit && last ? encodeCursor({ n: last.number, id: last.id }) : null,
  };
}
