import { RefusedError, UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { pairs, table, type Out } from './output.ts';

const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '—');

interface OverrideView {
  overrideId: string | null;
  start: string;
  end: string;
  person: string;
  replaces: string | null;
  reason: string | null;
  actor: { kind: string; name: string } | null;
  source: 'config' | 'api';
}

const scheduleNames = async (c: Connection) =>
  (await getJson<{ schedules: Array<{ name: string }> }>(c, '/api/v1/schedules')).schedules.map((s) => s.name);

const overridesOf = async (c: Connection, schedule: string) =>
  (
    await getJson<{ overrides: OverrideView[] }>(
      c,
      `/api/v1/schedules/${encodeURIComponent(schedule)}?to=${encodeURIComponent(new Date(Date.now() + 90 * 86_400_000).toISOString())}`,
    )
  ).overrides.map((o) => ({ schedule, ...o }));

/**
 * `klaxon override add --schedule S --start T --end T --person P [--replaces Q] [--reason R]`,
 * `klaxon override ls [--schedule S]` (those in force from now), `klaxon override rm <id> [--schedule S]`.
 */
export async function override(
  c: Connection,
  args: string[],
  flags: {
    schedule?: string;
    start?: string;
    end?: string;
    person?: string;
    replaces?: string;
    reason?: string;
  },
  out: Out,
): Promise<void> {
  const [sub, id] = args;
  if (sub === 'add') {
    const { schedule, start, end, person, replaces, reason } = flags;
    if (!schedule || !start || !end || !person)
      throw new UsageError('override add needs --schedule, --start, --end and --person');
    const added = (await (
      await request(c, 'POST', `/api/v1/schedules/${encodeURIComponent(schedule)}/overrides`, {
        start,
        end,
        person,
        ...(replaces ? { replaces } : {}),
        ...(reason ? { reason } : {}),
      })
    ).json()) as { overrideId: string; notified: string[] };
    if (out.format === 'json') return out.json(added);
    return out.print(
      pairs([
        ['override', added.overrideId],
        ['on call', `${person} ${start} → ${end}${replaces ? ` in place of ${replaces}` : ''}`],
        ['notified', added.notified.join(', ') || '—'],
      ]),
    );
  }
  if (sub === 'ls') {
    const names = flags.schedule ? [flags.schedule] : await scheduleNames(c);
    const all = (await Promise.all(names.map((name) => overridesOf(c, name)))).flat();
    if (out.format === 'json') return out.json(all);
    if (all.length === 0) return out.print('no overrides in force');
    return out.print(
      table(
        ['id', 'schedule', 'person', 'replaces', 'from', 'to', 'by', 'reason'],
        all.map((o) => [
          o.overrideId ?? '(klaxon.yaml)',
          o.schedule,
          o.person,
          o.replaces ?? '—',
          when(o.start),
          when(o.end),
          o.actor?.name ?? '—',
          o.reason ?? '',
        ]),
      ),
    );
  }
  if (sub === 'rm') {
    if (!id) throw new UsageError('override rm needs the override id: klaxon override rm ovr_…');
    const names = flags.schedule ? [flags.schedule] : await scheduleNames(c);
    let schedule = flags.schedule;
    if (!schedule) {
      const all = (await Promise.all(names.map((name) => overridesOf(c, name)))).flat();
      schedule = all.find((o) => o.overrideId === id)?.schedule;
      if (!schedule) throw new RefusedError(`no override ${id} in force`);
    }
    const removed = (await (
      await request(
        c,
        'DELETE',
        `/api/v1/schedules/${encodeURIComponent(schedule)}/overrides/${encodeURIComponent(id)}`,
      )
    ).json()) as { overrideId: string; notified: string[] };
    if (out.format === 'json') return out.json(removed);
    return out.print(`removed ${id} from ${schedule}; notified: ${removed.notified.join(', ') || '—'}`);
  }
  throw new UsageError('override has three subcommands: add, ls, rm');
}

/** `klaxon take [--schedule S] --for 2h` (or an instant, or a local time like 08:00): the token's owner takes the pager. */
export async function take(c: Connection, flags: { schedule?: string; for?: string; reason?: string }, out: Out) {
  if (!flags.for) throw new UsageError('take needs how long: klaxon take --for 2h (or --for 08:00)');
  let schedule = flags.schedule;
  if (!schedule) {
    const me = await getJson<{ name: string }>(c, '/api/v1/me');
    const schedules = await getJson<{ schedules: Array<{ name: string; members: string[] }> }>(c, '/api/v1/schedules');
    schedule = schedules.schedules.find((s) => s.members.includes(me.name))?.name;
    if (!schedule) throw new RefusedError(`${me.name} is a member of no schedule; name one with --schedule`);
  }
  const taken = (await (
    await request(c, 'POST', `/api/v1/schedules/${encodeURIComponent(schedule)}/take`, {
      until: flags.for,
      ...(flags.reason ? { reason: flags.reason } : {}),
    })
  ).json()) as { overrideId: string; schedule: string; start: string; end: string; notified: string[] };
  if (out.format === 'json') return out.json(taken);
  out.print(
    pairs([
      ['on call', `${taken.schedule} until ${when(taken.end)}`],
      ['override', taken.overrideId],
      ['notified', taken.notified.join(', ') || '—'],
    ]),
  );
}

/** `klaxon reload`: escalation reads its configuration file again (an admin's token); refused with the problems. */
export async function reload(c: Connection, out: Out): Promise<void> {
  const applied = (await (await request(c, 'POST', '/-/reload')).json()) as { sha256: string; changed: string[] };
  if (out.format === 'json') return out.json(applied);
  out.print(
    pairs([
      ['applied', applied.sha256],
      ['changed', applied.changed.join(', ') || 'nothing'],
    ]),
  );
}
