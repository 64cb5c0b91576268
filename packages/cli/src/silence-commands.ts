import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface Silence {
  id: string;
  matchers: Record<string, string>;
  start: string;
  end: string;
  comment: string;
  createdBy: { kind: string; name: string } | null;
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}Z`;
const matchersText = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([label, value]) => (value.startsWith('~') ? `${label}=~${value.slice(1)}` : `${label}=${value}`))
    .join(' ');

/** `label=value` is equality, `label=~regex` a regular expression, as amtool writes them. */
function matchersOf(args: string[]): Record<string, string> {
  if (args.length === 0) throw new UsageError('silence add needs at least one matcher, like alertname=Foo');
  return Object.fromEntries(
    args.map((arg) => {
      const at = arg.indexOf('=');
      if (at < 1) throw new UsageError(`"${arg}" is no matcher: write label=value or label=~regex`);
      const value = arg.slice(at + 1);
      return [arg.slice(0, at), value];
    }),
  );
}

/**
 * `klaxon silence add label=value … (--for 2h | --until <instant>) [--from <instant>] --comment "…"`,
 * `klaxon silence ls`, `klaxon silence expire <id>`, like amtool's.
 */
export async function silence(
  c: Connection,
  args: string[],
  flags: { for?: string; until?: string; from?: string; comment?: string },
  out: Out,
): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      if (!flags.comment) throw new UsageError('say why: --comment "…"');
      if ((flags.for === undefined) === (flags.until === undefined))
        throw new UsageError('say how long: --for 2h or --until <instant>');
      const body = {
        matchers: matchersOf(rest),
        comment: flags.comment,
        ...(flags.from ? { start: flags.from } : {}),
        ...(flags.for ? { duration: flags.for } : { end: flags.until }),
      };
      const made = (await (await request(c, 'POST', '/api/v1/silences', body)).json()) as Silence;
      if (out.format === 'json') return out.json(made);
      return out.print(
        `${made.id} silences ${matchersText(body.matchers)} from ${when(made.start)} to ${when(made.end)}`,
      );
    }
    case 'ls': {
      const { silences } = await getJson<{ silences: Silence[] }>(c, '/api/v1/silences');
      if (out.format === 'json') return out.json(silences);
      if (silences.length === 0) return out.print('no silences');
      return out.print(
        table(
          ['id', 'matchers', 'from', 'until', 'by', 'comment'],
          silences.map((s) => [
            s.id,
            matchersText(s.matchers),
            when(s.start),
            when(s.end),
            s.createdBy?.name ?? '—',
            s.comment,
          ]),
        ),
      );
    }
    case 'expire': {
      const [id] = rest;
      if (!id || rest.length > 1) throw new UsageError('silence expire <id>');
      const expired = (await (
        await request(c, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`)
      ).json()) as Silence;
      if (out.format === 'json') return out.json(expired);
      return out.print(`${expired.id} expired`);
    }
    default:
      throw new UsageError('silence has three subcommands: add, ls, expire');
  }
}
