import type { Response, Router } from 'express';
import { z } from 'zod';
import type { HeartbeatMonitorError } from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf } from '@klaxon/service-kit';
import type { HeartbeatMonitors } from '../heartbeats/heartbeat-monitors.ts';

const labels = z.record(z.string(), z.string());
// Only the shape here: names, durations, matchers and integrations are the decider's to refuse.
const monitorBody = z
  .object({
    name: z.string(),
    interval: z.string(),
    grace: z.string().optional(),
    labels: labels.optional(),
    match: labels.optional(),
    integration: z.string().optional(),
  })
  .strict();

function refusal(res: Response, error: HeartbeatMonitorError): void {
  switch (error.code) {
    case 'Configured':
      return void res
        .status(409)
        .json({ error: `heartbeat ${error.name} is in klaxon.yaml: it is changed there, not through the API` });
    case 'Exists':
      return void res.status(409).json({ error: `a heartbeat named ${error.name} exists already` });
    case 'NotFound':
      return void res.status(404).json({ error: `no heartbeat named ${error.name} was made through the API` });
    default:
      res.status(400).json({ error: 'invalid heartbeat', problems: [{ path: error.field, message: error.message }] });
  }
}

/**
 * `GET /api/v1/heartbeats`: each monitor, whether it beats, its last beat, when the next is due, and where it
 * is kept. `POST` adds a monitor and `DELETE /:name` removes one made through the API; both are an admin's,
 * as maintenance windows are: a monitor pages people, and removing one silences a dead-man's switch.
 */
export function heartbeatRoutes(routes: Router, deps: { heartbeats: HeartbeatMonitors; auth: Authenticator }): void {
  const admin = requireRole(deps.auth, 'admin');
  routes.get('/api/v1/heartbeats', requireRole(deps.auth, 'viewer'), (_req, res) => {
    res.json(deps.heartbeats.list());
  });

  routes.post('/api/v1/heartbeats', admin, jsonBody(), async (req, res) => {
    const body = monitorBody.safeParse(req.body);
    if (!body.success)
      return void res.status(400).json({ error: 'invalid heartbeat', problems: problemsOf(body.error) });
    const { kind, name } = principalOf(res);
    const added = await deps.heartbeats.add(body.data, { kind, name });
    if (!added.ok) return refusal(res, added.error);
    res.status(201).json(added.value);
  });

  routes.delete('/api/v1/heartbeats/:name', admin, async (req, res) => {
    const { kind, name } = principalOf(res);
    const removed = await deps.heartbeats.remove(String(req.params.name), { kind, name });
    if (!removed.ok) return refusal(res, removed.error);
    res.status(204).end();
  });
}
