import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface WebhookStatus {
  name: string;
  position: string | null;
  failingSince: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
  deadLettered: number;
}

/** `klaxon webhooks ls` · `klaxon webhooks replay <name> --from <instant>` (admin). */
export async function webhooks(c: Connection, args: string[], flags: { from?: string }, out: Out): Promise<void> {
  const [sub, name] = args;
  if (sub === 'ls' || sub === 'list') {
    const { webhooks } = await getJson<{ webhooks: WebhookStatus[] }>(c, '/api/v1/webhooks');
    if (out.format === 'json') return out.json(webhooks);
    if (webhooks.length === 0) return out.print('no webhooks configured');
    return out.print(
      table(
        ['webhook', 'position', 'failing since', 'next attempt', 'dead-lettered', 'last error'],
        webhooks.map((w) => [
          w.name,
          w.position ?? '—',
          w.failingSince ?? '—',
          w.nextAttemptAt ?? '—',
          w.deadLettered,
          w.lastError ?? '—',
        ]),
      ),
    );
  }
  if (sub !== 'replay') throw new UsageError('webhooks has two subcommands: ls, replay <name> --from <instant>');
  if (!name) throw new UsageError('say which webhook: klaxon webhooks replay <name> --from <instant>');
  if (!flags.from || Number.isNaN(Date.parse(flags.from)))
    throw new UsageError('say from when, as an ISO-8601 instant: --from 2026-11-23T10:00:00Z');
  const from = new Date(flags.from).toISOString();
  const answer = (await (
    await request(c, 'POST', `/api/v1/webhooks/${encodeURIComponent(name)}/replay`, { from })
  ).json()) as { after: string | null };
  if (out.format === 'json') return out.json(answer);
  out.print(`${name}: delivering again every message from ${from} (after store position ${answer.after ?? 'start'})`);
}
