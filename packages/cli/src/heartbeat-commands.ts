import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface Heartbeat {
  name: string;
  state: 'ok' | 'missed';
  lastBeatAt: string | null;
  dueAt: string | null;
  source: 'config' | 'api';
}

const when = (iso: string | null) => (iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')}Z`);

/** `--label severity=warning` (repeated) into `{severity: 'warning'}`; `=~regex` stays a regex for `--match`. */
function pairsOf(flag: string, given: string[] | undefined): Record<string, string> | undefined {
  if (!given || given.length === 0) return undefined;
  return Object.fromEntries(
    given.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--${flag} "${pair}": write label=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/**
 * `klaxon heartbeats ls`, `klaxon heartbeats add <name> --interval 24h [--grace 1h] [--label k=v …]
 * [--match k=v …]`, `klaxon heartbeats rm <name>`: monitors made through the API, beside klaxon.yaml's.
 */
export async function heartbeats(
  c: Connection,
  args: string[],
  flags: { interval?: string; grace?: string; label?: string[]; match?: string[] },
  out: Out,
): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'ls': {
      const monitors = await getJson<Heartbeat[]>(c, '/api/v1/heartbeats');
      if (out.format === 'json') return out.json(monitors);
      if (monitors.length === 0) return out.print('no heartbeat monitors');
      return out.print(
        table(
          ['name', 'state', 'last beat', 'due', 'source'],
          monitors.map((m) => [m.name, m.state, when(m.lastBeatAt), when(m.dueAt), m.source]),
        ),
      );
    }
    case 'add': {
      const [name] = rest;
      if (!name || rest.length > 1) throw new UsageError('heartbeats add <name> --interval 24h [--grace 1h]');
      if (!flags.interval) throw new UsageError('say how often it beats: --interval 24h');
      const labels = pairsOf('label', flags.label);
      const match = pairsOf('match', flags.match);
      const body = {
        name,
        interval: flags.interval,
        ...(flags.grace ? { grace: flags.grace } : {}),
        ...(labels ? { labels } : {}),
        ...(match ? { match } : {}),
      };
      const made = (await (await request(c, 'POST', '/api/v1/heartbeats', body)).json()) as Heartbeat;
      if (out.format === 'json') return out.json(made);
      return out.print(`${made.name} added: a beat is due by ${when(made.dueAt)}`);
    }
    case 'rm': {
      const [name] = rest;
      if (!name || rest.length > 1) throw new UsageError('heartbeats rm <name>');
      await request(c, 'DELETE', `/api/v1/heartbeats/${encodeURIComponent(name)}`);
      if (out.format === 'json') return out.json({ name, removed: true });
      return out.print(`${name} removed`);
    }
    default:
      throw new UsageError('heartbeats has three subcommands: ls, add, rm');
  }
}
