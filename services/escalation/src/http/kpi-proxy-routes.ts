import type { Router } from 'express';

/**
 * The console is served from escalation's origin (the one every page links to); its KPI page reads
 * projection's API through here, so the browser talks to one origin and no CORS is needed. Projection
 * checks the API token itself: it is passed on as it came.
 */
export function kpiProxyRoutes(routes: Router, projectionUrl: string): void {
  routes.get(/^\/api\/v1\/kpis(\/.*)?$/, async (req, res) => {
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
