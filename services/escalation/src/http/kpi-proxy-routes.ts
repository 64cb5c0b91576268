import type { Request, Response, Router } from 'express';
import { parseCookie } from 'cookie';
import { SESSION_COOKIE } from '@klaxon/people';

/** What projection serves to the console's KPI page, and nothing else of it (its /metrics, say). */
const KPI_PATHS = ['/api/v1/kpis', '/api/v1/kpis/responders'];

/**
 * The console is served from escalation's origin (the one every page links to); its KPI page reads
 * projection's API through here, so the browser talks to one origin and no CORS is needed. Projection
 * checks the credentials itself: the API token is passed on as it came, or else the session cookie (of a
 * person signed in to the console), and no other cookie. Only the KPI paths are proxied, and the target is
 * built from the matched path, never from the request's own (whose `..` or `%2e%2e` a URL parser resolves).
 */
export function kpiProxyRoutes(routes: Router, projectionUrl: string): void {
  for (const path of KPI_PATHS) routes.get(path, (req, res) => proxy(path, req, res));

  async function proxy(path: string, req: Request, res: Response): Promise<void> {
    const target = new URL(path, projectionUrl);
    target.search = new URL(req.originalUrl, 'http://query.invalid').search;
    const session = parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(target, {
        headers: {
          ...(req.headers.authorization
            ? { authorization: req.headers.authorization }
            : session
              ? { cookie: `${SESSION_COOKIE}=${session}` }
              : {}),
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
  }
}
