import { UsageError } from './cli-errors.ts';
import { getJson, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface AuditEntry {
  at: string;
  actor: { kind: string; name: string } | null;
  kind: string;
  subject: string;
  detail: Record<string, unknown>;
}

/** What an entry's detail says, in a line: the fields a reader of the log looks for first. */
const summary = (detail: Record<string, unknown>) =>
  Object.entries(detail)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** `klaxon audit [--since T] [--actor A] [--kind K] [--limit N] [--cursor C]` (admin), oldest first. */
export async function audit(
  c: Connection,
  flags: { since?: string; actor?: string; kind?: string; limit?: string; cursor?: string },
  out: Out,
): Promise<void> {
  const limit = flags.limit ?? '100';
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)
    throw new UsageError(`--limit is a whole number from 1 to 1000, not "${limit}"`);
  const query = new URLSearchParams({ limit });
  for (const key of ['since', 'actor', 'kind', 'cursor'] as const) if (flags[key]) query.set(key, flags[key]);
  const data = await getJson<{ entries: AuditEntry[]; nextCursor: string | null }>(c, `/api/v1/audit?${query}`);
  if (out.format === 'json') return out.json(data);
  if (data.entries.length === 0) return out.print('no audit entries');
  out.print(
    table(
      ['at', 'actor', 'kind', 'subject', 'detail'],
      data.entries.map((e) => [
        `${e.at.slice(0, 19).replace('T', ' ')}Z`,
        e.actor ? `${e.actor.kind}:${e.actor.name}` : '—',
        e.kind,
        e.subject,
        summary(e.detail),
      ]),
    ),
  );
  if (data.nextCursor) out.print(`more: klaxon audit --cursor ${data.nextCursor}`);
}
