import type { Router } from 'express';
import { z } from 'zod';
import type { KlaxonConfig } from '@klaxon/config';
import { LEVEL_NAMES, shiftsBetween, toInstant, type ScheduleSpec } from '@klaxon/domain';
import { requireRole, type Authenticator } from '@klaxon/people';
import { problemsOf, type Clock } from '@klaxon/service-kit';
import type { Rosters } from '../oncall/rosters.ts';

const query = z
  .object({
    at: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2027-03-20T00:00:00Z' }).optional(),
    days: z.coerce.number().int().min(1).max(90).default(14),
  })
  .strict();

export interface OnCallRouteDeps {
  config: Pick<KlaxonConfig, 'policies' | 'contacts' | 'schedules'>;
  rosters: Rosters;
  /** The schedules as they run, with the overrides people made. */
  schedules: () => Record<string, ScheduleSpec>;
  clock: Clock;
  auth: Authenticator;
}

/**
 * `GET /api/v1/oncall?at=&days=`: who each level of each policy pages at `at` (default now), and each
 * schedule's shifts for `days` from then, with its zone and overrides: what the console's on-call page shows.
 */
export function onCallRoutes(routes: Router, deps: OnCallRouteDeps): void {
  routes.get('/api/v1/oncall', requireRole(deps.auth, 'viewer'), (req, res) => {
    const q = query.safeParse(req.query);
    if (!q.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(q.error) });
    const at = q.data.at ? toInstant(new Date(q.data.at)) : toInstant(deps.clock.now());
    const until = toInstant(new Date(Date.parse(at) + q.data.days * 86_400_000));
    const policies = Object.keys(deps.config.policies).map((name) => {
      const roster = deps.rosters.forPolicy(name, at);
      return {
        name,
        levels: LEVEL_NAMES.filter((level) => deps.config.policies[name]!.levels[level]).map((level) => {
          const byContact = new Map<string, string[]>();
          for (const { contact, channel } of roster[level])
            byContact.set(contact, [...(byContact.get(contact) ?? []), channel]);
          return {
            level,
            targets: deps.config.policies[name]!.levels[level]!.targets,
            onCall: [...byContact].map(([contact, channels]) => ({ contact, channels })),
          };
        }),
      };
    });
    const schedules = Object.entries(deps.schedules()).map(([name, s]) => ({
      name,
      timezone: s.timezone,
      rotation: s.rotation,
      handoff: s.handoff,
      shifts: shiftsBetween(s, at, until),
      overrides: s.overrides.filter((o) => o.removedAt === undefined),
    }));
    const contacts = Object.fromEntries(
      Object.entries(deps.config.contacts).map(([name, c]) => [name, { timezone: c.timezone }]),
    );
    res.json({ at, until, policies, schedules, contacts });
  });
}
