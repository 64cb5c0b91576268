import { DateTime } from 'luxon';
import { decide } from '../incident/decide.ts';
import type { IncidentEvent, ResolveVia, Timings } from '../incident/events.ts';
import { defaultUrgency } from '../paging/notification-rules.ts';
import { evolveAll } from '../incident/evolve.ts';
import { initialState, type IncidentState } from '../incident/state.ts';
import { commandForTimer } from '../incident/timer-commands.ts';
import { pendingTimers } from '../incident/timers.ts';
import type { IncidentCommand } from '../incident/commands.ts';
import { rosterFor, type ContactSpec, type PolicySpec } from '../oncall/roster.ts';
import type { ScheduleSpec } from '../oncall/schedule.ts';
import { createRouter, type RouteSpec, type RuleSpec, type SeverityFrom } from '../routing/router.ts';
import type { Severity } from '../severity.ts';
import { suppressionAt, type QuietWindow } from '../silence/windows.ts';
import type { Instant } from '../time/instant.ts';

/** What a what-if needs of a configuration: the parts that decide an incident's course. */
export interface ReplayConfig {
  severities: Record<
    Severity,
    {
      ackTimeout?: number;
      escalateAfter: number[];
      statusUpdateEvery: number;
      responseTarget: number;
      resolutionTarget: number;
      urgency?: 'high' | 'low';
    }
  >;
  contacts: Record<string, ContactSpec>;
  schedules: Record<string, ScheduleSpec>;
  policies: Record<string, PolicySpec>;
  routes: RouteSpec[];
  severityFrom: SeverityFrom;
  rules: RuleSpec[];
  /**
   * Silences and maintenance windows in force for the what-if (the candidate's `maintenance:` and the
   * windows made through the API); one made through the API counts from when it was made, not before.
   */
  windows?: readonly QuietWindow[];
}

/** One incident as it was recorded: its alert, and the people's real acknowledgement and resolution. */
export interface RecordedIncident {
  incidentId: string;
  number: number;
  title: string;
  groupKey: string;
  labels: Record<string, string>;
  source: string;
  service: string;
  fingerprint: string;
  alertStartsAt: Instant;
  openedAt: Instant;
  acknowledged?: { by: string; at: Instant };
  resolved?: { by: string; via: ResolveVia; at: Instant };
  /** Every fact as recorded, for what actually happened. */
  events: IncidentEvent[];
}

/** One incident's course under a configuration: its facts, on a virtual clock. */
export interface Course {
  incidentId: string;
  number: number;
  title: string;
  route: number | undefined;
  severity: Severity | undefined;
  events: IncidentEvent[];
}

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString() as Instant;
const timingsOf = (config: ReplayConfig, severity: Severity): Timings => {
  const s = config.severities[severity];
  return {
    ackTimeoutMs: s.ackTimeout,
    escalateAfterMs: s.escalateAfter,
    statusUpdateEveryMs: s.statusUpdateEvery,
    urgency: s.urgency ?? defaultUrgency(severity),
  } as Timings;
};

/**
 * Runs one recorded incident through a candidate configuration on a virtual clock: routed again, opened
 * with the candidate's severity, timings, policy and rules, its timers fired when due, and the real
 * acknowledgement and resolution applied at their real instants. Nothing is sent: pages are facts.
 * One course per matching route (a `continue` route opens two); none when no route matches.
 */
export function replayIncident(incident: RecordedIncident, config: ReplayConfig, until: Instant): Course[] {
  const router = createRouter(config.routes, config.severityFrom, config.rules);
  const matches = router.route(incident.labels);
  if (matches.length === 0)
    return [
      {
        incidentId: incident.incidentId,
        number: incident.number,
        title: incident.title,
        route: undefined,
        severity: undefined,
        events: [],
      },
    ];
  return matches.map((match) => {
    const policy = config.policies[match.policy]!;
    const roster = (at: Instant) => rosterFor(policy, config.contacts, config.schedules, at);
    // The window that would have held for its labels then, as the timer runner and intake look it up.
    const quietAt = (at: Instant) => {
      const windows = (config.windows ?? []).filter((w) => w.createdAt === undefined || w.createdAt <= at);
      return windows.length === 0 ? undefined : suppressionAt(windows, incident.labels, at);
    };
    const openQuiet = quietAt(incident.openedAt);
    let state: IncidentState = initialState();
    const events: IncidentEvent[] = [];
    const apply = (command: IncidentCommand | undefined): boolean => {
      if (!command) return false;
      const decision = decide(command, state);
      if (!decision.ok || decision.value.length === 0) return false;
      events.push(...decision.value);
      state = evolveAll(decision.value, state);
      return true;
    };
    apply({
      type: 'OpenIncident',
      incidentId: incident.incidentId,
      number: incident.number,
      groupKey: incident.groupKey,
      severity: match.severity,
      service: incident.service,
      title: incident.title,
      labels: incident.labels,
      source: incident.source,
      fingerprint: incident.fingerprint,
      alertStartsAt: incident.alertStartsAt,
      policy: match.policy,
      timings: timingsOf(config, match.severity),
      roster: roster(incident.openedAt),
      escalateTo: router.immediateLevel(incident.labels),
      ...(openQuiet ? { suppression: openQuiet } : {}),
      at: incident.openedAt,
    });
    const people: Array<{ at: number; command: IncidentCommand }> = [];
    if (incident.acknowledged)
      people.push({
        at: ms(incident.acknowledged.at),
        command: { type: 'Acknowledge', by: incident.acknowledged.by, via: 'api', at: incident.acknowledged.at },
      });
    if (incident.resolved)
      people.push({
        at: ms(incident.resolved.at),
        command: { type: 'Resolve', by: incident.resolved.by, via: incident.resolved.via, at: incident.resolved.at },
      });
    people.sort((a, b) => a.at - b.at);
    const end = ms(until);
    // Every step fires a timer or applies a person's act; a timer that changes nothing ends the course.
    for (let steps = 0; steps < 10_000; steps++) {
      if (!state.exists || state.status === 'resolved') break;
      const timer = pendingTimers(state).find((t) => t.kind !== 'page-retry');
      const person = people[0];
      if (timer && ms(timer.dueAt) <= end && (!person || ms(timer.dueAt) < person.at)) {
        if (!apply(commandForTimer(timer, roster(timer.dueAt), timer.dueAt, quietAt(timer.dueAt)))) break;
      } else if (person && person.at <= end) {
        people.shift();
        apply(person.command);
      } else break;
    }
    return {
      incidentId: incident.incidentId,
      number: incident.number,
      title: incident.title,
      route: match.routeIndex + 1,
      severity: match.severity,
      events,
    };
  });
}

export interface Outcome {
  incidents: number;
  notRouted: number;
  byRouteAndSeverity: Record<string, number>;
  /** `contact channel` → pages. */
  pages: Record<string, number>;
  /** contact → pages between 22:00 and 07:00 in the contact's own zone. */
  nightPages: Record<string, number>;
  escalationsTo: Record<'L2' | 'L3' | 'L4', number>;
  /** window id → incidents a silence or maintenance window held quiet (at opening or later). */
  heldQuietBy: Record<string, number>;
  sla: Record<Severity, { responseMet: number; resolutionMet: number; of: number }>;
}

/** Counts what a set of courses did, with the targets and contact zones of the configuration it ran under. */
export function outcomeOf(courses: Course[], config: Pick<ReplayConfig, 'severities' | 'contacts'>): Outcome {
  const outcome: Outcome = {
    incidents: 0,
    notRouted: 0,
    byRouteAndSeverity: {},
    pages: {},
    nightPages: {},
    escalationsTo: { L2: 0, L3: 0, L4: 0 },
    heldQuietBy: {},
    sla: {
      P1: { responseMet: 0, resolutionMet: 0, of: 0 },
      P2: { responseMet: 0, resolutionMet: 0, of: 0 },
      P3: { responseMet: 0, resolutionMet: 0, of: 0 },
      P4: { responseMet: 0, resolutionMet: 0, of: 0 },
    },
  };
  for (const course of courses) {
    if (course.route === undefined || course.severity === undefined) {
      outcome.notRouted++;
      continue;
    }
    outcome.incidents++;
    const key = `route ${course.route} ${course.severity}`;
    outcome.byRouteAndSeverity[key] = (outcome.byRouteAndSeverity[key] ?? 0) + 1;
    let openedAt: string | undefined;
    let ackAt: string | undefined;
    let resolvedAt: string | undefined;
    let severity: Severity = course.severity;
    const quietBy = new Set<string>();
    for (const event of course.events) {
      if (event.type === 'IncidentSuppressed') quietBy.add(event.data.windowId);
      const d = event.data as Record<string, unknown>;
      if (event.type === 'IncidentOpened') openedAt = d.openedAt as string;
      if (event.type === 'SeverityChanged') severity = d.to as Severity;
      if (event.type === 'Acknowledged' && !ackAt) ackAt = d.at as string;
      if (event.type === 'Resolved') resolvedAt = d.at as string;
      if (event.type === 'Escalated') {
        const level = `L${d.toLevel}` as 'L2' | 'L3' | 'L4';
        if (level in outcome.escalationsTo) outcome.escalationsTo[level]++;
      }
      if (event.type === 'PageRequested') {
        const contact = d.contact as string;
        const page = `${contact} ${d.channel}`;
        outcome.pages[page] = (outcome.pages[page] ?? 0) + 1;
        const zone = config.contacts[contact]?.timezone ?? 'UTC';
        const hour = DateTime.fromISO(d.at as string, { zone: 'utc' }).setZone(zone).hour;
        if (hour >= 22 || hour < 7) outcome.nightPages[contact] = (outcome.nightPages[contact] ?? 0) + 1;
      }
    }
    for (const id of quietBy) outcome.heldQuietBy[id] = (outcome.heldQuietBy[id] ?? 0) + 1;
    if (!openedAt) continue;
    const targets = config.severities[severity];
    const sla = outcome.sla[severity];
    sla.of++;
    if (ackAt && ms(ackAt) - ms(openedAt) <= targets.responseTarget) sla.responseMet++;
    if (resolvedAt && ms(resolvedAt) - ms(openedAt) <= targets.resolutionTarget) sla.resolutionMet++;
  }
  return outcome;
}

/** What actually happened to a recorded incident, as a course. */
export function actualCourse(
  incident: RecordedIncident,
  config: Pick<ReplayConfig, 'routes' | 'severityFrom' | 'rules'>,
): Course {
  const opened = incident.events.find((e) => e.type === 'IncidentOpened');
  const severity = (opened?.data as { severity?: Severity } | undefined)?.severity;
  const route = createRouter(config.routes, config.severityFrom, config.rules).route(incident.labels)[0]?.routeIndex;
  return {
    incidentId: incident.incidentId,
    number: incident.number,
    title: incident.title,
    route: route === undefined ? 0 : route + 1,
    severity,
    events: incident.events,
  };
}

/** How a course went, in a line a person compares: level reached, pages, the windows that held it quiet. */
export function courseSummary(course: Course): {
  highestLevel: string;
  pages: number;
  escalations: number;
  heldQuietBy: string[];
} {
  let highest = course.events.length ? 1 : 0;
  let pages = 0;
  let escalations = 0;
  const heldQuietBy = new Set<string>();
  for (const event of course.events) {
    if (event.type === 'IncidentSuppressed') heldQuietBy.add(event.data.windowId);
    const d = event.data as { toLevel?: number; level?: number };
    if (event.type === 'IncidentOpened') highest = Math.max(highest, 1);
    if (event.type === 'Escalated') {
      escalations++;
      highest = Math.max(highest, d.toLevel ?? 1);
    }
    if (event.type === 'PageRequested') pages++;
  }
  return { highestLevel: highest ? `L${highest}` : 'not routed', pages, escalations, heldQuietBy: [...heldQuietBy] };
}

export const replayUntil = (to: string | undefined, now: Date): Instant => iso(to ? ms(to) : now.getTime());
