import type { Router } from 'express';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import type { LiveConfig } from '../config/live-config.ts';

/** `POST /-/reload` (admin): the configuration file read again, applied or refused with its problems. */
export function reloadRoutes(routes: Router, deps: { live: LiveConfig; auth: Authenticator }): void {
  routes.post('/-/reload', requireRole(deps.auth, 'admin'), async (_req, res) => {
    const reloaded = await deps.live.reload(principalOf(res));
    if (reloaded.ok) return void res.json(reloaded.value);
    if (reloaded.error.code === 'NoFile')
      return void res.status(409).json({ error: 'this instance was started without a configuration file' });
    res.status(400).json({
      error: `${reloaded.error.file} is not a valid Klaxon configuration; the running one stays`,
      problems: reloaded.error.problems,
    });
  });
}
