import type { Response, Router } from 'express';
import { z } from 'zod';
import { parseDuration } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf } from '@klaxon/service-kit';
import type { PersonalRules } from '../people/personal-rules.ts';

const after = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 1m: ${parsed.error.message}` });
    return z.NEVER;
  }
  return parsed.value.toMillis();
});
const steps = z
  .array(z.object({ after, method: z.string().min(1).max(100) }).strict())
  .min(1)
  .max(20)
  .transform((list) => list.map((s) => ({ afterMs: s.after, method: s.method })))
  .refine(
    (list) => list.every((s, i) => i === 0 || s.afterMs >= list[i - 1]!.afterMs),
    'steps must not go back in time',
  );
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time like 22:00');
const rulesBody = z
  .object({
    high: steps.optional(),
    low: steps.optional(),
    quietHours: z.object({ from: localTime, to: localTime }).strict().nullable().optional(),
  })
  .strict();

/** `GET/PUT /api/v1/me/rules`: the caller's notification rules per urgency and quiet hours. */
export function ruleRoutes(routes: Router, deps: { auth: Authenticator; personalRules: PersonalRules }): void {
  const responder = requireRole(deps.auth, 'responder');
  const json = jsonBody(16 * 1024);
  const own = (res: Response): string | undefined => {
    const principal = principalOf(res);
    if (principal.kind === 'person') return principal.name;
    res
      .status(403)
      .json({ error: `${principal.name} is a ${principal.kind} token, which has no rules`, required: 'person' });
    return undefined;
  };
  routes.get('/api/v1/me/rules', responder, (_req, res) => {
    const person = own(res);
    if (person) res.json(deps.personalRules.view(person));
  });
  routes.put('/api/v1/me/rules', responder, json, async (req, res) => {
    const person = own(res);
    if (!person) return;
    const parsed = rulesBody.safeParse(req.body ?? {});
    if (!parsed.success)
      return void res.status(400).json({ error: 'invalid body', problems: problemsOf(parsed.error) });
    const { high, low, quietHours } = parsed.data;
    const { kind, name } = principalOf(res);
    const view = await deps.personalRules.set(
      person,
      { ...(high ? { high } : {}), ...(low ? { low } : {}) },
      quietHours ?? undefined,
      { kind, name },
    );
    res.json(view);
  });
}
