import type { Router } from 'express';
import { requireRole, type Authenticator } from '@klaxon/people';
import type { HeartbeatMonitors } from '../heartbeats/heartbeat-monitors.ts';

/** `GET /api/v1/heartbeats`: each monitor, whether it beats, its last beat and when the next is due. */
export function heartbeatRoutes(routes: Router, deps: { heartbeats: HeartbeatMonitors; auth: Authenticator }): void {
  routes.get('/api/v1/heartbeats', requireRole(deps.auth, 'viewer'), (_req, res) => {
    res.json(deps.heartbeats.list());
  });
}
