import type { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf } from '@klaxon/service-kit';
import type { Webhooks } from '../webhooks/webhooks.ts';

const replayBody = z
  .object({ from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2026-11-23T10:00:00Z' }) })
  .strict();

/** The outgoing webhooks' state, and replays: an admin's. */
export function webhookRoutes(routes: Router, deps: { webhooks: Webhooks; auth: Authenticator }): void {
  const admin = requireRole(deps.auth, 'admin');

  routes.get('/api/v1/webhooks', admin, (_req, res) => {
    res.json({ webhooks: deps.webhooks.all().map((d) => d.status()) });
  });

  routes.post('/api/v1/webhooks/:name/replay', admin, jsonBody(), async (req, res) => {
    const deliverer = deps.webhooks.get(String(req.params.name));
    if (!deliverer) return void res.status(404).json({ error: `no webhook named ${String(req.params.name)}` });
    const body = replayBody.safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ error: 'invalid body', problems: problemsOf(body.error) });
    const { name, kind } = principalOf(res);
    const { position } = await deliverer.rewind(body.data.from, { kind, name });
    res.status(202).json({ webhook: deliverer.name, from: body.data.from, after: position });
  });
}
