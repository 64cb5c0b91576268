import type { Router } from 'express';
import { requireRole, type Authenticator } from '@klaxon/people';

/**
 * The console is served from escalation's origin (the one every page links to); its KPI page reads
 * projection's API through here, so the browser talks to one origin and no CORS is needed. The caller is
 * checked here, so a refusal costs no trip; the token is passed on as it came and projection checks it
 * again, as it does for every caller that reaches it directly.
 */
export function kpiProxyRoutes(routes: Router, projectionUrl: string, auth: Authenticator): void {
  routes.get(/^\/api\/v1\/kpis(\/.*)?$/, requireRole(auth, 'viewer'), async (req, res) => {
    const target = new URL(req.originalUrl, projectionUrl);
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        headers: {
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          accept: req.headers.accept ?? '*/*',
        },
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      return void res
        .status(502)
        .json({ error: `projection did not answer at ${projectionUrl}: ${(error as Error).message}` });
    }
    for (const header of ['content-type', 'content-disposition', 'cache-control']) {
      const value = upstream.headers.get(header);
      if (value) res.set(header, value);
    }
    res.status(upstream.status).send(Buffer.from(await upstream.arrayBuffer()));
  });
}
