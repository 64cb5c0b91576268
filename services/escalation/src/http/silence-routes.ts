import type { Response, Router } from 'express';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { compileMatcher, parseDuration, toInstant, WEEKDAYS, type QuietWindow } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf, type Clock } from '@klaxon/service-kit';
import type { Expiry, QuietWindows } from '../silences/quiet-windows.ts';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2027-03-20T02:00:00Z' });
const matchers = z
  .record(z.string(), z.string())
  .refine((m) => Object.keys(m).length > 0, 'needs at least one matcher: a window never silences everything')
  .superRefine((spec, ctx) => {
    const compiled = compileMatcher(spec);
    if (!compiled.ok)
      ctx.addIssue({ code: 'custom', path: [compiled.error.label], message: `bad regex: ${compiled.error.message}` });
  });
const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value.toMillis() <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 2h` });
    return z.NEVER;
  }
  return parsed.value.toMillis();
});
const comment = z.string().min(1, 'say why').max(1000);
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time like 02:00');

const silenceBody = z
  .object({ matchers, start: instant.optional(), end: instant.optional(), duration: duration.optional(), comment })
  .strict()
  .refine((b) => (b.end === undefined) !== (b.duration === undefined), 'give either end or duration');

const maintenanceBody = z
  .object({
    matchers,
    every: z.literal('weekly'),
    days: z.array(z.enum(WEEKDAYS)).min(1),
    from: localTime,
    to: localTime,
    timezone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone'),
    comment,
  })
  .strict()
  .refine((b) => b.from !== b.to, 'from and to must differ');

/** What the API shows of a window. */
const windowView = (w: QuietWindow) => {
  const { createdBy, createdAt, expiredAt, ...rest } = w;
  return { ...rest, createdBy: createdBy ?? null, createdAt: createdAt ?? null, expiredAt: expiredAt ?? null };
};

const expiryAnswer = (res: Response, expiry: Expiry) => {
  if (expiry.ok) return void res.json(windowView(expiry.window));
  if (expiry.error === 'configured')
    return void res.status(409).json({ error: 'a window of klaxon.yaml is changed there, not through the API' });
  res.status(404).json({ error: 'no such window' });
};

/**
 * Silences (one-off) and maintenance windows (weekly): `POST`, `GET`, `DELETE` (expire) under
 * `/api/v1/silences` and `/api/v1/maintenance`. A responder may silence; recurring windows are an admin's.
 */
export function silenceRoutes(
  routes: Router,
  deps: { windows: QuietWindows; auth: Authenticator; clock: Clock },
): void {
  const { windows, auth, clock } = deps;
  const json = jsonBody();
  const viewer = requireRole(auth, 'viewer');
  const responder = requireRole(auth, 'responder');
  const admin = requireRole(auth, 'admin');

  routes.post('/api/v1/silences', responder, json, async (req, res) => {
    const body = silenceBody.safeParse(req.body);
    if (!body.success) return void res.status(400).json({ error: 'invalid silence', problems: problemsOf(body.error) });
    const start = body.data.start ? toInstant(new Date(body.data.start)) : toInstant(clock.now());
    const end = body.data.end
      ? toInstant(new Date(body.data.end))
      : toInstant(Date.parse(start) + (body.data.duration ?? 0));
    if (Date.parse(end) <= Date.parse(start))
      return void res
        .status(400)
        .json({ error: 'invalid silence', problems: [{ path: 'end', message: 'must be after start' }] });
    const { kind, name } = principalOf(res);
    const id = await windows.addSilence(
      { matchers: body.data.matchers, start, end, comment: body.data.comment },
      { kind, name },
    );
    res.status(201).json({ id, start, end });
  });

  routes.post('/api/v1/maintenance', admin, json, async (req, res) => {
    const body = maintenanceBody.safeParse(req.body);
    if (!body.success)
      return void res.status(400).json({ error: 'invalid maintenance window', problems: problemsOf(body.error) });
    const { every: _weekly, ...window } = body.data;
    const { kind, name } = principalOf(res);
    res.status(201).json({ id: await windows.addMaintenance(window, { kind, name }) });
  });

  routes.get('/api/v1/silences', viewer, (_req, res) => {
    res.json({ silences: windows.current('silence').map(windowView) });
  });
  routes.get('/api/v1/maintenance', viewer, (_req, res) => {
    res.json({ maintenance: windows.current('maintenance').map(windowView) });
  });

  routes.delete('/api/v1/silences/:id', responder, async (req, res) => {
    const { kind, name } = principalOf(res);
    expiryAnswer(res, await windows.expire(String(req.params.id), 'silence', { kind, name }));
  });
  routes.delete('/api/v1/maintenance/:id', admin, async (req, res) => {
    const { kind, name } = principalOf(res);
    expiryAnswer(res, await windows.expire(String(req.params.id), 'maintenance', { kind, name }));
  });
}
