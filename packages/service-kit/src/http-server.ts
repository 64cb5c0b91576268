import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Request, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { clientErrorOf, type ClientErrorReason } from './http-errors.ts';
import type { Logger } from './logger.ts';
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

const QUIET_PATHS = new Set(['/metrics', '/health']);

/** The route pattern a request matched; the path itself only when nothing matched (a 404). */
const whereTo = (req: Request) =>
  req.route?.path !== undefined ? { route: `${req.baseUrl}${String(req.route.path)}` } : { url: req.originalUrl.split('?')[0] };

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
  app.use(
    pinoHttp({
      logger,
      // Our serializers read the raw request and response: pino's standard ones would first build a full
      // object (headers, address) for every request only to have it thrown away.
      wrapSerializers: false,
      autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? '') },
      // A client's mistake is a warning, never an error: errors are for what we must fix.
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Request lines name the matched route, never the raw path: paths carry signed tokens (/ack/:token).
      // The route is known only once the request was handled, so it is added to the closing line.
      serializers: {
        req: (req: { method: string }) => ({ method: req.method }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customSuccessObject: (req, _res, line: object) => ({ ...line, ...whereTo(req as Request) }),
      customErrorObject: (req, _res, _error, line: object) => ({ ...line, ...whereTo(req as Request) }),
      customSuccessMessage: () => 'request',
      customErrorMessage: () => 'request',
    }),
  );

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
