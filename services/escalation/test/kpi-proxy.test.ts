import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createServiceHttp, type ServiceHttp } from '@klaxon/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpiProxyRoutes } from '../src/http/kpi-proxy-routes.ts';

/** Sends the path as written, without the normalising a URL parser (fetch's) would do first. */
const rawGet = (base: string, path: string) =>
  new Promise<number>((resolve, reject) => {
    const { hostname, port } = new URL(base);
    request({ hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });

describe("escalation's KPI proxy", () => {
  // Stands where projection listens, and records each path that reaches it.
  const reached: string[] = [];
  const cookies: Array<string | undefined> = [];
  let projection: Server;
  let escalation: ServiceHttp;
  let base: string;

  beforeAll(async () => {
    projection = createServer((req, res) => {
      reached.push(req.url ?? '');
      cookies.push(req.headers.cookie);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => projection.listen(0, '127.0.0.1', resolve));
    escalation = createServiceHttp({ service: 'escalation', logger: pino({ level: 'silent' }) });
    kpiProxyRoutes(escalation.routes, `http://127.0.0.1:${(projection.address() as AddressInfo).port}`);
    base = await escalation.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await escalation.close();
    projection.close();
  });

  it('passes the KPI paths on with their query', async () => {
    expect(await rawGet(base, '/api/v1/kpis?from=2026-11-01T00:00:00Z&bucket=week')).toBe(200);
    expect(await rawGet(base, '/api/v1/kpis/responders?severity=P1')).toBe(200);
    expect(reached).toEqual([
      '/api/v1/kpis?from=2026-11-01T00:00:00Z&bucket=week',
      '/api/v1/kpis/responders?severity=P1',
    ]);
  });

  it("passes on a console session's cookie, and no other cookie, when there is no token", async () => {
    cookies.length = 0;
    const get = (headers: Record<string, string>) => fetch(`${base}/api/v1/kpis`, { headers });
    await get({ cookie: 'theme=dark; klaxon_session=YWxpY2U.secret; klaxon_csrf=x' });
    await get({ cookie: 'theme=dark' });
    await get({ cookie: 'klaxon_session=YWxpY2U.secret', authorization: 'Bearer kx_token' });
    expect(cookies).toEqual(['klaxon_session=YWxpY2U.secret', undefined, undefined]);
  });

  it.each([
    '/api/v1/kpis/../../../metrics',
    '/api/v1/kpis/%2e%2e/%2e%2e/%2e%2e/metrics',
    '/api/v1/kpis/%2e%2e%2f%2e%2e%2f%2e%2e%2fmetrics',
    '/api/v1/kpis/.%2e/.%2e/.%2e/metrics',
    '/api/v1/kpis/%2E%2E%2F%2E%2E%2F%2E%2E%2Fmetrics',
    '/api/v1/kpis/responders/../../../../metrics',
  ])('never reaches anything else of projection: %s', async (path) => {
    reached.length = 0;
    expect(await rawGet(base, path)).toBe(404);
    expect(reached).toEqual([]);
  });
});
