import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { clientErrorOf, type ClientErrorReason } from './http-errors.ts';
import type { Logger } from './logger.ts';
import { requestLog } from './request-log.ts';
import { runReadiness, type ReadinessCheck } from './readiness.ts';

export interface ServiceHttpOptions {
  service: string;
  logger: Logger;
  readiness?: ReadinessCheck[];
  /** Told of every request refused for its form (size, media type, malformed JSON), e.g. to count it. */
  onClientError?: (reason: ClientErrorReason) => void;
}

export interface ServiceHttp {
  app: Express;
  /** Where a service mounts its routes: before the service kit's 404 and error answers. */
  routes: Router;
  metrics: Registry;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Every service answers /health (liveness), /ready (its dependencies) and /metrics (Prometheus text). */
export function createServiceHttp(options: ServiceHttpOptions): ServiceHttp {
  const { logger } = options;
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: metrics });
  const readiness = options.readiness ?? [];

  const app = express();
  app.disable('x-powered-by');
  // ETags on API answers only cost a hash per response; clients here never revalidate.
  app.set('etag', false);
  app.use(requestLog(logger));

  app.get('/health', (_req, res) => void res.json({ status: 'ok', service: options.service }));
  app.get('/ready', async (_req, res) => {
    const report = await runReadiness(readiness);
    res.status(report.ready ? 200 : 503).json({ service: options.service, ...report });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  const routes = express.Router();
  app.use(routes);
  app.use((req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  const answerErrors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const known = clientErrorOf(error);
    if (known) {
      options.onClientError?.(known.reason);
      res.status(known.status).json(known.body);
      return;
    }
    req.log.error({ err: error }, 'unexpected failure');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  };
  app.use(answerErrors);

  let server: Server | undefined;
  return {
    app,
    routes,
    metrics,
    async listen(port, host = '0.0.0.0') {
      server = app.listen(port, host);
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${address.port}`;
    },
    async close() {
      if (!server?.listening) return;
      const closed = once(server, 'close');
      // Requests in flight finish; idle keep-alive connections are closed so shutdown does not wait on them.
      server.close();
      server.closeIdleConnections();
      await closed;
    },
  };
}
