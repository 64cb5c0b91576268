import { toInstant, type Instant } from '../time/instant.ts';
import { shiftsBetween, type ScheduleSpec } from './schedule.ts';

export interface OnCallChange {
  person: string;
  gained: Array<{ from: Instant; to: Instant }>;
  lost: Array<{ from: Instant; to: Instant }>;
}

/**
 * Who gains and who loses on-call time between two versions of a schedule, within a window: for the
 * notices a change sends to the people it moves. Each person's pieces are merged where they touch.
 */
export function onCallChanges(before: ScheduleSpec, after: ScheduleSpec, from: Instant, to: Instant): OnCallChange[] {
  const was = shiftsBetween(before, from, to);
  const now = shiftsBetween(after, from, to);
  const edges = [...new Set([...was, ...now].flatMap((s) => [Date.parse(s.from), Date.parse(s.to)]))].sort(
    (a, b) => a - b,
  );
  const whoAt = (shifts: typeof was, ms: number) =>
    shifts.find((s) => Date.parse(s.from) <= ms && ms < Date.parse(s.to))?.contact;
  const changes = new Map<string, OnCallChange>();
  const note = (person: string, kind: 'gained' | 'lost', fromMs: number, toMs: number) => {
    const change = changes.get(person) ?? { person, gained: [], lost: [] };
    changes.set(person, change);
    const last = change[kind].at(-1);
    if (last && Date.parse(last.to) === fromMs) last.to = toInstant(toMs);
    else change[kind].push({ from: toInstant(fromMs), to: toInstant(toMs) });
  };
  for (let i = 0; i + 1 < edges.length; i++) {
    const [a, b] = [edges[i]!, edges[i + 1]!];
    const [p, q] = [whoAt(was, a), whoAt(now, a)];
    if (p === q) continue;
    if (p !== undefined) note(p, 'lost', a, b);
    if (q !== undefined) note(q, 'gained', a, b);
  }
  return [...changes.values()];
}
