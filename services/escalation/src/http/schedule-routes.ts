import type { Response, Router } from 'express';
import { z } from 'zod';
import { onCallAt, shiftsBetween, toInstant, type ScheduleSpec } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf, type Clock } from '@klaxon/service-kit';
import type { OverrideActions, TakeError } from '../oncall/override-actions.ts';

export interface ScheduleRouteDeps {
  schedules: () => Record<string, ScheduleSpec>;
  actions: OverrideActions;
  clock: Clock;
  auth: Authenticator;
  /** The schedule's calendar feed URL with the person's feed token (null without one). */
  calendarUrl?: (person: string, schedule: string) => Promise<string | null>;
}

const DAY_MS = 86_400_000;
const MAX_WINDOW_MS = 90 * DAY_MS;
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2027-03-20T08:00:00Z' });
const within = (w: { start: string; end: string }) => Date.parse(w.end) - Date.parse(w.start) <= MAX_WINDOW_MS;

const windowQuery = z.object({ from: instant.optional(), to: instant.optional() }).strict();
const overrideBody = z
  .object({
    start: instant,
    end: instant,
    person: z.string().min(1),
    replaces: z.string().min(1).optional(),
    reason: z.string().max(500).optional(),
  })
  .strict()
  .refine(within, { message: 'an override lasts at most 90 days', path: ['end'] });
const takeBody = z
  .object({
    until: z.string().min(1, 'an instant (2027-03-20T08:00:00Z), a duration (2h) or a local time (08:00)'),
    reason: z.string().max(500).optional(),
  })
  .strict();

/** One place where a refused change becomes an answer. */
function refused(res: Response, error: TakeError) {
  switch (error.code) {
    case 'UnknownSchedule':
      return void res.status(404).json({ error: `no schedule "${error.schedule}"` });
    case 'UnknownPerson':
      return void res.status(404).json({ error: `no person "${error.person}"` });
    case 'UnknownOverride':
      return void res.status(404).json({ error: `no override "${error.overrideId}" in force` });
    case 'NoSchedule':
      return void res.status(404).json({ error: `${error.person} is a member of no schedule` });
    case 'NotAllowed':
      return void res.status(403).json({ error: error.reason, required: 'admin' });
    case 'BadUntil':
      return void res
        .status(400)
        .json({ error: 'invalid until', problems: [{ path: 'until', message: error.reason }] });
    case 'EmptyWindow':
      return void res.status(409).json({ error: 'the override ends before it starts' });
    case 'InThePast':
      return void res.status(409).json({ error: `the override ended already (${error.end})` });
    case 'Conflict':
      return void res.status(409).json({ error: error.reason });
  }
}

/**
 * Schedules as they run, with the overrides people made: `GET /api/v1/schedules`, one schedule's shifts with
 * who made each change, and the changes themselves (add, remove, take), each under the role checks of the
 * override decider (a responder: themselves and their own shifts; an admin: anything).
 */
export function scheduleRoutes(routes: Router, deps: ScheduleRouteDeps): void {
  const { schedules, actions, clock, auth } = deps;
  const json = jsonBody(64 * 1024);
  const viewer = requireRole(auth, 'viewer');
  const responder = requireRole(auth, 'responder');

  routes.get('/api/v1/schedules', viewer, (_req, res) => {
    const now = toInstant(clock.now());
    res.json({
      at: now,
      schedules: Object.entries(schedules()).map(([name, s]) => ({
        name,
        timezone: s.timezone,
        rotation: s.rotation,
        handoff: s.handoff,
        members: s.members,
        onCall: onCallAt(s, now),
      })),
    });
  });

  routes.get('/api/v1/schedules/:name', viewer, async (req, res) => {
    const name = String(req.params.name);
    const schedule = schedules()[name];
    if (!schedule) return void res.status(404).json({ error: `no schedule "${name}"` });
    const q = windowQuery.safeParse(req.query);
    if (!q.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(q.error) });
    const from = q.data.from ? toInstant(new Date(q.data.from)) : toInstant(clock.now());
    const to = q.data.to ? toInstant(new Date(q.data.to)) : toInstant(Date.parse(from) + 7 * DAY_MS);
    if (!(Date.parse(to) > Date.parse(from)) || !within({ start: from, end: to }))
      return void res.status(400).json({
        error: 'invalid query',
        problems: [{ path: 'to', message: 'must be after from, and at most 90 days after it' }],
      });
    const now = toInstant(clock.now());
    const principal = principalOf(res);
    const calendarUrl =
      principal.kind === 'person' && deps.calendarUrl ? await deps.calendarUrl(principal.name, name) : null;
    res.json({
      name,
      calendarUrl,
      timezone: schedule.timezone,
      rotation: schedule.rotation,
      handoff: schedule.handoff,
      members: schedule.members,
      from,
      to,
      onCall: onCallAt(schedule, now),
      shifts: shiftsBetween(schedule, from, to),
      overrides: schedule.overrides
        .filter((o) => o.removedAt === undefined && Date.parse(o.to) > Date.parse(from))
        .map((o) => ({
          overrideId: o.id ?? null,
          start: o.from,
          end: o.to,
          person: o.contact,
          replaces: o.replaces ?? null,
          reason: o.reason ?? null,
          actor: o.actor ?? null,
          addedAt: o.addedAt ?? null,
          source: o.id === undefined ? 'config' : 'api',
        })),
    });
  });

  routes.post('/api/v1/schedules/:name/overrides', responder, json, async (req, res) => {
    const body = overrideBody.safeParse(req.body);
    if (!body.success)
      return void res.status(400).json({ error: 'invalid override', problems: problemsOf(body.error) });
    const { start, end, ...rest } = body.data;
    const added = await actions.add(
      String(req.params.name),
      { start: toInstant(new Date(start)), end: toInstant(new Date(end)), ...rest },
      principalOf(res),
    );
    if (!added.ok) return refused(res, added.error);
    res.status(201).json(added.value);
  });

  routes.delete('/api/v1/schedules/:name/overrides/:id', responder, async (req, res) => {
    const removed = await actions.remove(String(req.params.name), String(req.params.id), principalOf(res));
    if (!removed.ok) return refused(res, removed.error);
    res.json({ overrideId: String(req.params.id), ...removed.value });
  });

  routes.post('/api/v1/schedules/:name/take', responder, json, async (req, res) => {
    const body = takeBody.safeParse(req.body);
    if (!body.success) return void res.status(400).json({ error: 'invalid take', problems: problemsOf(body.error) });
    const caller = principalOf(res);
    if (caller.kind !== 'person')
      return void res
        .status(403)
        .json({ error: `${caller.name} is a ${caller.kind} token; only a person takes the pager`, required: 'person' });
    const taken = await actions.take(String(req.params.name), body.data.until, caller, body.data.reason);
    if (!taken.ok) return refused(res, taken.error);
    res.status(201).json(taken.value);
  });
}
