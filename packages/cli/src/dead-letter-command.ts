import { UsageError } from './cli-errors.ts';
import { getJson, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface DeadLetter {
  deadLetteredAt: string;
  reason: string;
  attempts?: number;
  from: { topic?: string; partition?: number; offset?: string };
  key: string;
  headers: Record<string, string>;
  value: unknown;
}

/** `klaxon dead-letters [--limit N]`: the newest records escalation moved aside, oldest first, with why. */
export async function deadLetters(c: Connection, flags: { limit?: string }, out: Out): Promise<void> {
  const limit = flags.limit ?? '50';
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)
    throw new UsageError(`--limit is a whole number from 1 to 1000, not "${limit}"`);
  const data = await getJson<{ deadLetters: DeadLetter[] }>(c, `/api/v1/dead-letters?limit=${limit}`);
  if (out.format === 'json') return out.json(data.deadLetters);
  if (data.deadLetters.length === 0) return out.print('no dead letters');
  out.print(
    table(
      ['dead-lettered', 'from', 'attempts', 'key', 'reason'],
      data.deadLetters.map((d) => [
        `${d.deadLetteredAt.slice(0, 19).replace('T', ' ')}Z`,
        `${d.from.partition ?? '?'}@${d.from.offset ?? '?'}`,
        d.attempts ?? '—',
        d.key,
        d.reason,
      ]),
    ),
  );
}
