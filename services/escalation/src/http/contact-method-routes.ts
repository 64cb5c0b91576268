import type { Response, Router } from 'express';
import { z } from 'zod';
import { methodAddressProblem } from '@klaxon/config';
import { METHOD_TYPES } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf } from '@klaxon/service-kit';
import type { ContactMethods, MethodOutcome } from '../people/contact-methods.ts';

export interface ContactMethodRouteDeps {
  auth: Authenticator;
  contactMethods: ContactMethods;
}

const addBody = z
  .object({ type: z.enum(METHOD_TYPES), to: z.string().trim().min(1).max(500) })
  .strict()
  .superRefine((b, ctx) => {
    const problem = methodAddressProblem(b.type, b.to);
    if (problem) ctx.addIssue({ code: 'custom', path: ['to'], message: problem });
  });
const confirmBody = z.object({ code: z.string().regex(/^\s*\d{6}\s*$/, 'six digits') }).strict();

/** The one place a refused method command becomes an HTTP answer. */
function answerRefusal(res: Response, outcome: Extract<MethodOutcome<unknown>, { ok: false }>): void {
  const e = outcome.error;
  switch (e.code) {
    case 'UnknownMethod':
      return void res.status(404).json({ error: `no contact method ${e.methodId}` });
    case 'MethodExists':
    case 'AlreadyVerified':
      return void res.status(409).json({ error: `contact method ${e.methodId} is already verified`, code: e.code });
    case 'ConfigMethod':
      return void res
        .status(409)
        .json({ error: `contact method ${e.methodId} is written in klaxon.yaml; change it there`, code: e.code });
    case 'NoCodeSent':
      return void res.status(409).json({ error: 'no code was sent; ask for one with /verify', code: e.code });
    case 'CodeExpired':
      return void res.status(410).json({ error: 'the code has expired; ask for a new one with /verify', code: e.code });
    case 'TooManyAttempts':
      return void res.status(429).json({ error: 'too many wrong codes; ask for a new one with /verify', code: e.code });
    case 'WrongCode':
      return void res.status(422).json({ error: 'wrong code', code: e.code, attemptsLeft: e.attemptsLeft });
    case 'NotSent':
      return void res.status(502).json({ error: `the message could not be sent: ${e.error}`, code: e.code });
  }
}

/**
 * A person's own contact methods under `/api/v1/me/methods`: list, add (unverified), send a code, confirm
 * it, send a test page, remove. Only a person has methods; a service token is refused.
 */
export function contactMethodRoutes(routes: Router, deps: ContactMethodRouteDeps): void {
  const { contactMethods } = deps;
  const json = jsonBody(16 * 1024);
  const responder = requireRole(deps.auth, 'responder');
  const own = (res: Response): string | undefined => {
    const principal = principalOf(res);
    if (principal.kind === 'person') return principal.name;
    res.status(403).json({
      error: `${principal.name} is a ${principal.kind} token, which has no contact methods`,
      required: 'person',
    });
    return undefined;
  };
  const done = (res: Response, outcome: MethodOutcome, status: number, body?: object) =>
    outcome.ok ? void (body ? res.status(status).json(body) : res.status(status).end()) : answerRefusal(res, outcome);

  routes.get('/api/v1/me/methods', responder, async (_req, res) => {
    const person = own(res);
    if (person) res.json({ methods: await contactMethods.list(person) });
  });
  routes.post('/api/v1/me/methods', responder, json, async (req, res) => {
    const person = own(res);
    if (!person) return;
    const parsed = addBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return void res.status(400).json({ error: 'invalid body', problems: problemsOf(parsed.error) });
    const { kind, name } = principalOf(res);
    const added = await contactMethods.add(person, parsed.data.type, parsed.data.to, { kind, name });
    if (added.ok) res.status(201).json(added.value);
    else answerRefusal(res, added);
  });
  routes.post('/api/v1/me/methods/:id/verify', responder, async (req, res) => {
    const person = own(res);
    if (person) done(res, await contactMethods.sendCode(person, String(req.params.id)), 202, { sent: true });
  });
  routes.post('/api/v1/me/methods/:id/confirm', responder, json, async (req, res) => {
    const person = own(res);
    if (!person) return;
    const parsed = confirmBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return void res.status(400).json({ error: 'invalid body', problems: problemsOf(parsed.error) });
    done(res, await contactMethods.confirm(person, String(req.params.id), parsed.data.code), 200, { verified: true });
  });
  routes.post('/api/v1/me/methods/:id/test', responder, async (req, res) => {
    const person = own(res);
    if (person) done(res, await contactMethods.test(person, String(req.params.id)), 202, { sent: true });
  });
  routes.delete('/api/v1/me/methods/:id', responder, async (req, res) => {
    const person = own(res);
    if (!person) return;
    const { kind, name } = principalOf(res);
    done(res, await contactMethods.remove(person, String(req.params.id), { kind, name }), 204);
  });
}
