import type { Response, Router } from 'express';
import { z } from 'zod';
import type { KlaxonConfig } from '@klaxon/config';
import { parseDuration } from '@klaxon/domain';
import {
  DEFAULT_TOKEN_TTL_MS,
  principalOf,
  requireRole,
  type Authenticator,
  type PersonalTokens,
} from '@klaxon/people';
import { jsonBody, problemsOf } from '@klaxon/service-kit';

export interface PeopleRouteDeps {
  config: Pick<KlaxonConfig, 'contacts'>;
  auth: Authenticator;
  personalTokens: PersonalTokens;
  /** The person's own calendar feed URL with their feed token (null without one). */
  calendarUrl?: (person: string) => Promise<string | null>;
}

const YEAR_MS = 365 * 86_400_000;
const ttl = z
  .string()
  .transform((text, ctx) => {
    const parsed = parseDuration(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 30d: ${parsed.error.message}` });
      return z.NEVER;
    }
    return parsed.value.toMillis();
  })
  .refine((ms) => ms > 0 && ms <= YEAR_MS, 'must be longer than 0s and at most 365d');
const createBody = z.object({ name: z.string().min(1).max(100), expiresIn: ttl.optional() }).strict();

/**
 * `GET /api/v1/me`; a person's own tokens under `/api/v1/me/tokens`; anyone's under
 * `/api/v1/people/:name/tokens` for an admin (the way to hand a person a first token).
 */
export function peopleRoutes(routes: Router, deps: PeopleRouteDeps): void {
  const { auth, personalTokens, config } = deps;
  const json = jsonBody();
  const viewer = requireRole(auth, 'viewer');
  const responder = requireRole(auth, 'responder');
  const admin = requireRole(auth, 'admin');

  routes.get('/api/v1/me', viewer, async (_req, res) => {
    const { kind, name, role } = principalOf(res);
    const contact = kind === 'person' ? config.contacts[name] : undefined;
    const calendarUrl = kind === 'person' && deps.calendarUrl ? await deps.calendarUrl(name) : null;
    res.json({ kind, name, role, email: contact?.email ?? null, timezone: contact?.timezone ?? null, calendarUrl });
  });

  /** The person whose tokens a request is about, or an answer already sent. */
  const own = (res: Response): string | undefined => {
    const principal = principalOf(res);
    if (principal.kind === 'person') return principal.name;
    res.status(403).json({
      error: `${principal.name} is a ${principal.kind} token, which has no personal tokens; an admin uses /api/v1/people/:name/tokens`,
      required: 'person',
    });
    return undefined;
  };
  const named = (res: Response, name: string): string | undefined => {
    if (Object.hasOwn(config.contacts, name)) return name;
    res.status(404).json({ error: `no person "${name}" in contacts` });
    return undefined;
  };

  const create = async (person: string, body: unknown, res: Response) => {
    const parsed = createBody.safeParse(body ?? {});
    if (!parsed.success)
      return void res.status(400).json({ error: 'invalid body', problems: problemsOf(parsed.error) });
    const { kind, name } = principalOf(res);
    const created = await personalTokens.create(
      person,
      parsed.data.name,
      parsed.data.expiresIn ?? DEFAULT_TOKEN_TTL_MS,
      { kind, name },
    );
    res.status(201).json(created);
  };
  const revoke = async (person: string, id: string, res: Response) => {
    const { kind, name } = principalOf(res);
    if (!(await personalTokens.revoke(person, id, { kind, name })))
      return void res.status(404).json({ error: `${person} has no token ${id}` });
    res.status(204).end();
  };

  routes.post('/api/v1/me/tokens', responder, json, async (req, res) => {
    const person = own(res);
    if (person) await create(person, req.body, res);
  });
  routes.get('/api/v1/me/tokens', responder, async (_req, res) => {
    const person = own(res);
    if (person) res.json({ tokens: await personalTokens.list(person) });
  });
  routes.delete('/api/v1/me/tokens/:id', responder, async (req, res) => {
    const person = own(res);
    if (person) await revoke(person, String(req.params.id), res);
  });

  routes.post('/api/v1/people/:name/tokens', admin, json, async (req, res) => {
    const person = named(res, String(req.params.name));
    if (person) await create(person, req.body, res);
  });
  routes.get('/api/v1/people/:name/tokens', admin, async (req, res) => {
    const person = named(res, String(req.params.name));
    if (person) res.json({ tokens: await personalTokens.list(person) });
  });
  routes.delete('/api/v1/people/:name/tokens/:id', admin, async (req, res) => {
    const person = named(res, String(req.params.name));
    if (person) await revoke(person, String(req.params.id), res);
  });
}
