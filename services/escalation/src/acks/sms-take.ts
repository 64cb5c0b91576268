/** `take 2h`, `take until 08:00`, `take 2h primary`: how long (or until when) and, optionally, which schedule. */
export interface SmsTake {
  until: string;
  schedule?: string;
}

/**
 * A text asking to take the pager, or `undefined` for any other text (an acknowledgement code, help).
 * Case and extra spaces do not matter; the schedule name keeps its case.
 */
export function parseSmsTake(body: string): SmsTake | undefined {
  const words = body.trim().split(/\s+/);
  if (words[0]?.toLowerCase() !== 'take') return undefined;
  const rest = words.slice(1);
  if (rest[0]?.toLowerCase() === 'until') rest.shift();
  const [until, schedule, ...extra] = rest;
  if (until === undefined || extra.length > 0) return { until: '' };
  return { until, ...(schedule !== undefined ? { schedule } : {}) };
}
