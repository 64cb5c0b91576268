import type { Request, Response, Router } from 'express';
import type { KlaxonConfig } from '@klaxon/config';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import type { Clock } from '@klaxon/service-kit';
import { personFeed, scheduleFeed } from '../calendar/calendar-feed.ts';
import type { FeedTokens } from '../calendar/feed-tokens.ts';

export interface CalendarRouteDeps {
  config: Pick<KlaxonConfig, 'contacts' | 'schedules'>;
  feedTokens: FeedTokens;
  auth: Authenticator;
  clock: Clock;
  publicUrl: string;
}

/**
 * Calendar feeds (ICS) of a schedule and of a person, 12 months ahead, at URLs carrying a feed token (a
 * calendar application sends no Authorization header). A feed token opens feeds only; a person makes,
 * replaces and revokes their own under `/api/v1/me/calendar-token`.
 */
export function calendarRoutes(routes: Router, deps: CalendarRouteDeps): void {
  const { config, feedTokens, clock, publicUrl } = deps;
  const urls = (token: string) => ({
    schedules: Object.fromEntries(
      Object.keys(config.schedules).map((name) => [
        name,
        `${publicUrl}/api/v1/schedules/${encodeURIComponent(name)}/calendar.ics?token=${token}`,
      ]),
    ),
  });

  const sendFeed = async (req: Request, res: Response, render: () => string | undefined) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (!(await feedTokens.verify(token)))
      return void res.status(401).json({ error: 'missing, unknown or revoked feed token (?token=)' });
    const body = render();
    if (body === undefined) return void res.status(404).json({ error: 'no such schedule or person' });
    res.set('Cache-Control', 'private, max-age=300').type('text/calendar; charset=utf-8').send(body);
  };

  routes.get('/api/v1/schedules/:name/calendar.ics', (req, res) =>
    sendFeed(req, res, () => {
      const schedule = config.schedules[String(req.params.name)];
      return schedule && scheduleFeed(String(req.params.name), schedule, clock.now());
    }),
  );
  routes.get('/api/v1/people/:name/calendar.ics', (req, res) =>
    sendFeed(req, res, () => {
      const person = String(req.params.name);
      return config.contacts[person] ? personFeed(person, config.schedules, clock.now()) : undefined;
    }),
  );

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
      calendarUrl: `${publicUrl}/api/v1/people/${encodeURIComponent(name)}/calendar.ics?token=${token}`,
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
