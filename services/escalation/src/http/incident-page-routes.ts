import type { Router } from 'express';
import { incidentPageHtml } from './incident-page.ts';

/**
 * `KLAXON_PUBLIC_URL/incidents/<id>`, the link in every SMS and email. The page holds no incident data:
 * it asks for an API token (kept in the browser session, never in a URL) and reads the incident API.
 */
export function incidentPageRoutes(routes: Router): void {
  routes.get('/incidents/:id', (_req, res) => {
    res.set('Cache-Control', 'no-store').set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'").type('html').send(incidentPageHtml);
  });
}
