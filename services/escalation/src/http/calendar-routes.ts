import type { Request, Response, Router } from 'express';
import type { KlaxonConfig } from '@klaxon/config';
import type { ScheduleSpec } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import type { Clock } from '@klaxon/service-kit';
import { personFeed, scheduleFeed } from '../calendar/calendar-feed.ts';
import type { CalendarLinks } from '../calendar/calendar-links.ts';
import type { FeedTokens } from '../calendar/feed-tokens.ts';

export interface CalendarRouteDeps {
  config: Pick<KlaxonConfig, 'contacts'>;
  /** The schedules as they run: klaxon.yaml's overrides and those people made (the `schedule-<name>` streams). */
  schedules: () => Record<string, ScheduleSpec>;
  feedTokens: FeedTokens;
  links: CalendarLinks;
  auth: Authenticator;
  clock: Clock;
}

/**
 * Calendar feeds (ICS) of a schedule and of a person, 12 months ahead, at URLs carrying a feed token (a
 * calendar application sends no Authorization header). A feed token opens feeds only: its person's own and
 * every schedule's, not another person's. A person makes, replaces and revokes their own under
 * `/api/v1/me/calendar-token`.
 */
export function calendarRoutes(routes: Router, deps: CalendarRouteDeps): void {
  const { config, schedules, feedTokens, links, clock } = deps;
  const urls = (token: string) => ({
    schedules: Object.fromEntries(Object.keys(schedules()).map((name) => [name, links.schedule(name, token)])),
  });

  const sendFeed = async (req: Request, res: Response, render: () => string | undefined, person?: string) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    const holder = await feedTokens.verify(token);
    // Its holder taken out of `contacts` (by a reload, read here at each request) is no longer one of the
    // people: their feed token goes with their API tokens, though its stream still lists it as active.
    if (!holder || !Object.hasOwn(config.contacts, holder))
      return void res.status(401).json({ error: 'missing, unknown or revoked feed token (?token=)' });
    if (person !== undefined && !Object.hasOwn(config.contacts, person))
      return void res.status(404).json({ error: 'no such schedule or person' });
    // Whose shifts a person has is theirs to share: one's token does not open another's feed.
    if (person !== undefined && person !== holder)
      return void res
        .status(403)
        .json({ error: `this feed token is ${holder}'s; it opens their feed, not ${person}'s` });
    const body = render();
    if (body === undefined) return void res.status(404).json({ error: 'no such schedule or person' });
    res.set('Cache-Control', 'private, max-age=300').type('text/calendar; charset=utf-8').send(body);
  };

  routes.get('/api/v1/schedules/:name/calendar.ics', (req, res) =>
    sendFeed(req, res, () => {
      const schedule = schedules()[String(req.params.name)];
      return schedule && scheduleFeed(String(req.params.name), schedule, clock.now());
    }),
  );
  routes.get('/api/v1/people/:name/calendar.ics', (req, res) => {
    const person = String(req.params.name);
    return sendFeed(req, res, () => personFeed(person, schedules(), clock.now()), person);
  });

  const person = (res: Response): string | undefined => {
    const principal = principalOf(res);
    if (principal.kind === 'person') return principal.name;
    res.status(403).json({ error: 'a feed token is a person’s: sign in as one', required: 'person' });
    return undefined;
  };

  routes.post('/api/v1/me/calendar-token', requireRole(deps.auth, 'viewer'), async (_req, res) => {
    const name = person(res);
    if (!name) return;
    const { kind } = principalOf(res);
    const token = await feedTokens.issue(name, { kind, name });
    res.status(201).json({
      token,
      calendarUrl: links.person(name, token),
      ...urls(token),
    });
  });
  routes.delete('/api/v1/me/calendar-token', requireRole(deps.auth, 'viewer'), async (_req, res) => {
    const name = person(res);
    if (!name) return;
    const { kind } = principalOf(res);
    if (!(await feedTokens.revoke(name, { kind, name })))
      return void res.status(404).json({ error: 'no feed token to revoke' });
    res.status(204).end();
  });
}
