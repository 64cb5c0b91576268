import { RefusedError, UsageError } from './cli-errors.ts';
import { getJson, request, resolveIncident, type Connection, type IncidentSummary } from './client.ts';
import { pairs, table, type Out } from './output.ts';

const when = (iso: string | undefined | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '—');

/** `klaxon incidents [--status …]`: open and acknowledged by default, newest first. */
export async function incidents(c: Connection, flags: { status?: string; limit?: string }, out: Out): Promise<void> {
  const status = flags.status ?? 'unresolved';
  const data = await getJson<{ incidents: IncidentSummary[] }>(
    c,
    `/api/v1/incidents?status=${encodeURIComponent(status)}&limit=${encodeURIComponent(flags.limit ?? '100')}`,
  );
  if (out.format === 'json') return out.json(data.incidents);
  if (data.incidents.length === 0) return out.print(`no incidents (${status})`);
  out.print(
    table(
      ['#', 'severity', 'status', 'level', 'service', 'opened', 'paging', 'title'],
      data.incidents.map((i) => [
        i.number,
        i.severity,
        i.status,
        i.level,
        i.service || '—',
        when(i.openedAt),
        i.assignees.join(', ') || '—',
        i.title,
      ]),
    ),
  );
}

interface IncidentDetail {
  asOf?: string;
  incident: IncidentSummary & {
    policy: string;
    acknowledged: { by: string; at: string } | null;
    resolved: { by: string; at: string } | null;
    pendingTimers: Array<{ kind: string; dueAt: string; level?: number }>;
    labels: Record<string, string>;
  };
  timeline: Array<{
    type: string;
    at?: string;
    openedAt?: string;
    recordedAt: string;
    by?: string;
    contact?: string;
    channel?: string;
    text?: string;
    toLevel?: number;
    alerts?: unknown[];
  }>;
}

/** `klaxon show <number|id> [--at <instant>]`: the incident now, or as it stood at an instant. */
export async function show(c: Connection, args: string[], flags: { at?: string }, out: Out): Promise<void> {
  if (!args[0]) throw new UsageError('show needs an incident: klaxon show 42');
  const id = await resolveIncident(c, args[0]);
  const data = await getJson<IncidentDetail>(
    c,
    `/api/v1/incidents/${encodeURIComponent(id)}${flags.at ? `?at=${encodeURIComponent(flags.at)}` : ''}`,
  );
  if (out.format === 'json') return out.json(data);
  const i = data.incident;
  out.print(`#${i.number} ${i.title}${data.asOf ? `   (as of ${data.asOf})` : ''}`);
  out.print(
    pairs([
      ['status', i.status],
      ['severity', i.severity],
      ['level', i.level],
      ['paging', i.assignees.join(', ') || '—'],
      ['service', i.service || '—'],
      ['policy', i.policy],
      ['opened', when(i.openedAt)],
      ['acknowledged', i.acknowledged ? `${i.acknowledged.by} at ${when(i.acknowledged.at)}` : '—'],
      ['resolved', i.resolved ? `${i.resolved.by} at ${when(i.resolved.at)}` : '—'],
      [
        'next',
        i.pendingTimers.map((t) => `${t.kind}${t.level ? ` L${t.level}` : ''} at ${when(t.dueAt)}`).join('; ') || '—',
      ],
      [
        'labels',
        Object.entries(i.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ],
    ]),
  );
  out.print('\nTimeline:');
  out.print(
    table(
      ['when', 'what'],
      data.timeline.map((e) => [
        when(e.at ?? e.openedAt ?? e.recordedAt),
        [
          e.type,
          e.alerts && `${e.alerts.length} alerts`,
          e.by && `by ${e.by}`,
          e.contact && `to ${e.contact}`,
          e.channel,
          e.toLevel && `L${e.toLevel}`,
          e.text && `"${e.text}"`,
        ]
          .filter(Boolean)
          .join(' '),
      ]),
    ),
  );
}

/** Whom Klaxon credits: the token's owner, unless an admin names someone with `--by`. */
const creditedTo = async (c: Connection, by: string | undefined) =>
  by ?? (await getJson<{ name: string }>(c, '/api/v1/me')).name;

/** `klaxon ack|resolve|escalate <number|id> [--by <name>]` (`--by`: an admin acting for someone). */
export async function act(
  c: Connection,
  action: 'acknowledge' | 'resolve' | 'escalate',
  args: string[],
  flags: { by?: string },
  out: Out,
): Promise<void> {
  if (!args[0])
    throw new UsageError(`${action} needs an incident: klaxon ${action === 'acknowledge' ? 'ack' : action} 42`);
  const id = await resolveIncident(c, args[0]);
  const body = flags.by === undefined ? {} : { by: flags.by };
  const result = (await (
    await request(c, 'POST', `/api/v1/incidents/${encodeURIComponent(id)}/${action}`, body)
  ).json()) as { incident: IncidentSummary };
  if (out.format === 'json') return out.json(result);
  const by = await creditedTo(c, flags.by);
  out.print(`#${result.incident.number} ${result.incident.status} at ${result.incident.level} (${action} by ${by})`);
}

/** `klaxon status-update <number|id> --text …`. */
export async function statusUpdate(
  c: Connection,
  args: string[],
  flags: { text?: string; by?: string },
  out: Out,
): Promise<void> {
  if (!args[0] || !flags.text)
    throw new UsageError('status-update needs an incident and --text: klaxon status-update 42 --text "Rolled back"');
  const id = await resolveIncident(c, args[0]);
  const body = { ...(flags.by === undefined ? {} : { by: flags.by }), text: flags.text };
  const result = (await (
    await request(c, 'POST', `/api/v1/incidents/${encodeURIComponent(id)}/status-updates`, body)
  ).json()) as { incident: IncidentSummary };
  if (out.format === 'json') return out.json(result);
  const by = await creditedTo(c, flags.by);
  out.print(`#${result.incident.number}: status update posted by ${by}`);
}

/** `klaxon postmortem <number|id>`: the markdown draft. */
export async function postmortem(c: Connection, args: string[], out: Out): Promise<void> {
  if (!args[0]) throw new UsageError('postmortem needs an incident: klaxon postmortem 42');
  const id = await resolveIncident(c, args[0]);
  const markdown = await (
    await request(c, 'GET', `/api/v1/incidents/${encodeURIComponent(id)}/postmortem`, undefined, 'text/markdown')
  ).text();
  if (out.format === 'json') return out.json({ id, markdown });
  process.stdout.write(markdown);
}

/** `klaxon oncall [--at] [--schedule] [--next N]`. */
export async function oncall(
  c: Connection,
  flags: { at?: string; schedule?: string; next?: string },
  out: Out,
): Promise<void> {
  const next = Number(flags.next ?? 5);
  if (!Number.isInteger(next) || next < 1) throw new UsageError('--next takes a whole number of shifts, 1 or more');
  const query = new URLSearchParams({ days: '90' });
  if (flags.at) query.set('at', flags.at);
  const data = await getJson<{
    at: string;
    policies: Array<{
      name: string;
      levels: Array<{ level: string; onCall: Array<{ contact: string; channels: string[] }> }>;
    }>;
    schedules: Array<{
      name: string;
      timezone: string;
      shifts: Array<{ contact: string; from: string; to: string; override: boolean }>;
    }>;
  }>(c, `/api/v1/oncall?${query}`);
  const schedules = data.schedules.filter((s) => !flags.schedule || s.name === flags.schedule);
  if (flags.schedule && schedules.length === 0)
    throw new RefusedError(
      `no schedule "${flags.schedule}"; there are: ${data.schedules.map((s) => s.name).join(', ')}`,
    );
  if (out.format === 'json')
    return out.json({
      at: data.at,
      policies: flags.schedule ? [] : data.policies,
      schedules: schedules.map((s) => ({ ...s, shifts: s.shifts.slice(0, next) })),
    });
  out.print(`On call at ${data.at}`);
  if (!flags.schedule) {
    out.print(
      table(
        ['policy', 'level', 'on call'],
        data.policies.flatMap((p) =>
          p.levels.map((l) => [
            p.name,
            l.level,
            l.onCall.map((o) => `${o.contact} (${o.channels.join(', ')})`).join('; ') || 'nobody reachable',
          ]),
        ),
      ),
    );
  }
  for (const s of schedules) {
    out.print(`\n${s.name} (${s.timezone}):`);
    out.print(
      table(
        ['on call', 'from', 'to'],
        s.shifts
          .slice(0, next)
          .map((sh) => [`${sh.contact}${sh.override ? ' (override)' : ''}`, when(sh.from), when(sh.to)]),
      ),
    );
  }
}
