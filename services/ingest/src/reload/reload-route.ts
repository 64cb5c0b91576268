import type { Router } from 'express';
import { reloadAnswer, type FileReload, type KlaxonConfig } from '@klaxon/config';
import { bearerToken, tokenListMatcher } from '@klaxon/service-kit';

/**
 * `POST /-/reload` on ingest: an admin service token of `api.tokens` (ingest reads no personal tokens: it
 * has no event store). `401` without one, `403 {required: admin}` for another role's.
 */
export function reloadRoute(routes: Router, tokens: KlaxonConfig['api']['tokens'], reload: FileReload): void {
  const serviceToken = tokenListMatcher(tokens);
  routes.post('/-/reload', (req, res) => {
    const caller = serviceToken(bearerToken(req.headers.authorization));
    if (!caller)
      return void res.status(401).json({ error: 'missing or unknown API token (Authorization: Bearer <token>)' });
    if (caller.role !== 'admin')
      return void res.status(403).json({ error: 'reloading the configuration is for admins', required: 'admin' });
    const { status, body } = reloadAnswer(reload(`service:${caller.name}`));
    res.status(status).json(body);
  });
}
