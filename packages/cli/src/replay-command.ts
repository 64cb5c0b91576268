import { resolve } from 'node:path';
import {
  actualCourse,
  courseSummary,
  INCIDENT_STREAM_PREFIX,
  incidentEventSchema,
  outcomeOf,
  replayIncident,
  replayUntil,
  SCHEDULE_STREAM_PREFIX,
  scheduleEventSchema,
  SILENCES_STREAM,
  windowEventSchema,
  windowsOf,
  withRecordedOverrides,
  type QuietWindow,
  type WindowEvent,
  type ScheduleEvent,
  type IncidentEvent,
  type Outcome,
  type RecordedIncident,
  type ReplayConfig,
} from '@klaxon/domain';
import { openEventStoreFromEnv } from '@klaxon/event-store';
import { UsageError } from './cli-errors.ts';
import { load } from './config-commands.ts';
import { table, type Out } from './output.ts';

const instant = (text: string | undefined, flag: string) => {
  if (text === undefined) return undefined;
  if (Number.isNaN(Date.parse(text)))
    throw new UsageError(`${flag} takes an ISO-8601 instant like 2026-11-01T00:00:00Z, not "${text}"`);
  return new Date(text).toISOString();
};

/** An incident's stream as the replay takes it: its alert and the people's real acts, and every fact. */
function recordedIncident(events: IncidentEvent[]): RecordedIncident | undefined {
  const opened = events.find((e) => e.type === 'IncidentOpened');
  if (!opened || opened.type !== 'IncidentOpened') return undefined;
  const d = opened.data;
  const firstAlert = events.find((e) => e.type === 'AlertAttached');
  const ack = events.find((e) => e.type === 'Acknowledged');
  const resolved = events.find((e) => e.type === 'Resolved');
  return {
    incidentId: d.incidentId,
    number: d.number,
    title: d.title,
    groupKey: d.groupKey,
    labels: d.labels,
    source: d.source,
    service: d.service,
    fingerprint: firstAlert?.type === 'AlertAttached' ? firstAlert.data.fingerprint : d.groupKey,
    alertStartsAt: d.alertStartsAt,
    openedAt: d.openedAt,
    ...(ack?.type === 'Acknowledged' ? { acknowledged: { by: ack.data.by, at: ack.data.at } } : {}),
    ...(resolved?.type === 'Resolved'
      ? { resolved: { by: resolved.data.by, via: resolved.data.via, at: resolved.data.at } }
      : {}),
    events,
  };
}

/**
 * `klaxon replay --config candidate.yaml [--from] [--to] [--current klaxon.yaml] [--data-dir dir]`: the
 * recorded incidents, with their real acknowledgement and resolution times, through the candidate's routes,
 * severities, schedules and policies on a virtual clock. Sends nothing. Reads the embedded store (the data
 * dir) or DATABASE_URL / ESDB_CONNECTION_STRING, as the services do.
 */
export async function replay(
  flags: { config?: string; from?: string; to?: string; current?: string; 'data-dir'?: string },
  out: Out,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (!flags.config) throw new UsageError('replay needs a candidate: klaxon replay --config candidate.yaml');
  const from = instant(flags.from, '--from');
  const to = instant(flags.to, '--to');
  const candidateConfig = load(flags.config, env);
  const candidateFile: ReplayConfig = candidateConfig;
  const currentFile: ReplayConfig = load(flags.current ?? env.KLAXON_CONFIG ?? 'klaxon.yaml', env);
  const dataDir = resolve(env.INIT_CWD ?? process.cwd(), flags['data-dir'] ?? env.KLAXON_DATA_DIR ?? 'data');
  const store = await openEventStoreFromEnv({
    KLAXON_DATA_DIR: dataDir,
    DATABASE_URL: env.DATABASE_URL,
    ESDB_CONNECTION_STRING: env.ESDB_CONNECTION_STRING,
  });

  const streams = new Map<string, IncidentEvent[]>();
  const overrides = new Map<string, ScheduleEvent[]>();
  const windowEvents: WindowEvent[] = [];
  let read = 0;
  try {
    for (let after: bigint | undefined; ;) {
      const page = await store.readAll({ after, limit: 5000, streamPrefix: INCIDENT_STREAM_PREFIX });
      if (page.length === 0) break;
      for (const record of page) {
        const event = incidentEventSchema.safeParse({ type: record.type, data: record.data });
        if (event.success) streams.set(record.streamId, [...(streams.get(record.streamId) ?? []), event.data]);
      }
      read += page.length;
      after = page.at(-1)!.position;
      if (read % 50_000 < page.length) process.stderr.write(`read ${read.toLocaleString('en-US')} events…\n`);
    }
    // The overrides people made, each as it stood over time: the roster of the past, for both sides.
    for (let after: bigint | undefined; ;) {
      const page = await store.readAll({ after, limit: 5000, streamPrefix: SCHEDULE_STREAM_PREFIX });
      if (page.length === 0) break;
      for (const record of page) {
        const event = scheduleEventSchema.safeParse({ type: record.type, data: record.data });
        const schedule = record.streamId.slice(SCHEDULE_STREAM_PREFIX.length);
        if (event.success) overrides.set(schedule, [...(overrides.get(schedule) ?? []), event.data]);
      }
      after = page.at(-1)!.position;
    }
    // The silences and windows people made through the API: in force for the candidate as they were.
    for (const record of await store.readStream(SILENCES_STREAM)) {
      const event = windowEventSchema.safeParse({ type: record.type, data: record.data });
      if (event.success) windowEvents.push(event.data);
    }
  } finally {
    await store.close();
  }
  // The candidate's own maintenance windows, as if they had always been there.
  const windows: QuietWindow[] = [
    ...Object.entries(candidateConfig.maintenance).map(([id, w]) => ({ id, kind: 'maintenance' as const, ...w })),
    ...windowsOf(windowEvents),
  ];
  const candidate = {
    ...candidateFile,
    schedules: withRecordedOverrides(candidateFile.schedules, overrides),
    windows,
  };
  const current = { ...currentFile, schedules: withRecordedOverrides(currentFile.schedules, overrides) };
  const incidents = [...streams.values()]
    .map(recordedIncident)
    .filter((i): i is RecordedIncident => i !== undefined && (!from || i.openedAt >= from) && (!to || i.openedAt < to))
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  process.stderr.write(
    `read ${read.toLocaleString('en-US')} events: ${incidents.length.toLocaleString('en-US')} incidents to replay\n`,
  );

  const until = replayUntil(to, new Date());
  const actual = [];
  const replayed = [];
  const differing = [];
  for (const [n, incident] of incidents.entries()) {
    const was = actualCourse(incident, current);
    const would = replayIncident(incident, candidate, until);
    actual.push(was);
    replayed.push(...would);
    const before = courseSummary(was);
    const after = would.map(courseSummary);
    if (after.length !== 1 || JSON.stringify(after[0]) !== JSON.stringify(before)) {
      differing.push({ number: incident.number, title: incident.title, actual: before, candidate: after });
    }
    if ((n + 1) % 1000 === 0)
      process.stderr.write(
        `replayed ${(n + 1).toLocaleString('en-US')} of ${incidents.length.toLocaleString('en-US')}…\n`,
      );
  }
  const result = {
    from: from ?? null,
    to: to ?? null,
    incidents: incidents.length,
    actual: outcomeOf(actual, current),
    candidate: outcomeOf(replayed, candidate),
    differing,
  };
  if (out.format === 'json') return out.json(result);
  out.print(
    `Replayed ${incidents.length} incidents${from ? ` from ${from}` : ''}${to ? ` to ${to}` : ''} through ${flags.config} (nothing was sent)\n`,
  );
  out.print(table(['', 'actual', 'candidate'], comparison(result.actual, result.candidate)));
  if (differing.length === 0) return out.print('\nNo incident would have gone differently.');
  out.print('\nIncidents whose course would differ:');
  out.print(
    table(
      ['#', 'actual', 'candidate', 'title'],
      differing.map((d) => [
        d.number,
        `${d.actual.highestLevel}, ${d.actual.pages} pages${quiet(d.actual.heldQuietBy)}`,
        d.candidate.map((c) => `${c.highestLevel}, ${c.pages} pages${quiet(c.heldQuietBy)}`).join(' + ') ||
          'not routed',
        d.title,
      ]),
    ),
  );
}

const quiet = (windows: string[]) => (windows.length ? `, quiet (${windows.join(', ')})` : '');

/** Side by side rows: every key either side has. */
function comparison(a: Outcome, b: Outcome): Array<[string, string, string]> {
  const rows: Array<[string, string, string]> = [
    ['incidents', String(a.incidents), String(b.incidents)],
    ['not routed', String(a.notRouted), String(b.notRouted)],
  ];
  const both = (x: Record<string, number>, y: Record<string, number>) =>
    [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const k of both(a.byRouteAndSeverity, b.byRouteAndSeverity))
    rows.push([k, String(a.byRouteAndSeverity[k] ?? 0), String(b.byRouteAndSeverity[k] ?? 0)]);
  for (const level of ['L2', 'L3', 'L4'] as const)
    rows.push([`escalations to ${level}`, String(a.escalationsTo[level]), String(b.escalationsTo[level])]);
  for (const k of both(a.heldQuietBy, b.heldQuietBy))
    rows.push([`held quiet by ${k}`, String(a.heldQuietBy[k] ?? 0), String(b.heldQuietBy[k] ?? 0)]);
  for (const k of both(a.pages, b.pages)) rows.push([`pages ${k}`, String(a.pages[k] ?? 0), String(b.pages[k] ?? 0)]);
  for (const k of both(a.nightPages, b.nightPages))
    rows.push([`night pages ${k}`, String(a.nightPages[k] ?? 0), String(b.nightPages[k] ?? 0)]);
  for (const s of ['P1', 'P2', 'P3', 'P4'] as const) {
    if (a.sla[s].of === 0 && b.sla[s].of === 0) continue;
    rows.push([
      `SLA ${s} response met`,
      `${a.sla[s].responseMet}/${a.sla[s].of}`,
      `${b.sla[s].responseMet}/${b.sla[s].of}`,
    ]);
    rows.push([
      `SLA ${s} resolution met`,
      `${a.sla[s].resolutionMet}/${a.sla[s].of}`,
      `${b.sla[s].resolutionMet}/${b.sla[s].of}`,
    ]);
  }
  return rows;
}
