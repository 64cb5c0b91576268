import type { Router } from 'express';
import { reloadAnswer, type FileReload } from '@klaxon/config';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';

/** `POST /-/reload` (admin): the configuration file read again, applied or refused with its problems. */
export function reloadRoute(routes: Router, auth: Authenticator, reload: FileReload): void {
  routes.post('/-/reload', requireRole(auth, 'admin'), (_req, res) => {
    const caller = principalOf(res);
    const { status, body } = reloadAnswer(reload(`${caller.kind}:${caller.name}`));
    res.status(status).json(body);
  });
}
