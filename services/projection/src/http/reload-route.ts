import type { Router } from 'express';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import type { ConfigReload } from '../reload/config-reload.ts';

/** `POST /-/reload` (admin): the configuration file read again, applied or refused with its problems. */
export function reloadRoute(routes: Router, auth: Authenticator, reload: ConfigReload): void {
  routes.post('/-/reload', requireRole(auth, 'admin'), (_req, res) => {
    const caller = principalOf(res);
    const reloaded = reload(`${caller.kind}:${caller.name}`);
    if (reloaded.ok) return void res.json(reloaded.value);
    if (reloaded.error === 'NoFile')
      return void res.status(409).json({ error: 'this instance was started without a configuration file' });
    res.status(400).json({
      error: `${reloaded.error.file} is not a valid Klaxon configuration; the running one stays`,
      problems: reloaded.error.problems,
    });
  });
}
