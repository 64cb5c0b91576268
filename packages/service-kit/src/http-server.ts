import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './logger.ts';
import { runReadiness, type ReadinessCheck } from './readiness.ts';

export interface ServiceHttpOptions {
  service: string;
  logger: Logger;
  readiness?: ReadinessCheck[];
  bodyLimitBytes?: number;
}

export interface ServiceHttp {
  app: FastifyInstance;
  metrics: Registry;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Every service answers /health (liveness), /ready (its dependencies) and /metrics (Prometheus text). */
export function createServiceHttp(options: ServiceHttpOptions): ServiceHttp {
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: metrics });
  const readiness = options.readiness ?? [];

  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // One line per request comes from the onResponse hook below, at a level that fits the answer.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    // Signed tokens travel in paths (/ack/:token) and are longer than fastify's default of 100 characters.
    routerOptions: { maxParamLength: 2048 },
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/metrics' || request.url === '/health') return;
    const line = { method: request.method, url: request.routeOptions.url ?? request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    // A client's mistake is a warning, never an error: errors are for what we must fix.
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else if (reply.statusCode >= 400) request.log.warn(line, 'request');
    else request.log.info(line, 'request');
  });

  app.get('/health', async () => ({ status: 'ok', service: options.service }));
  app.get('/ready', async (_request, reply) => {
    const report = await runReadiness(readiness);
    return reply.code(report.ready ? 200 : 503).send({ service: options.service, ...report });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  return {
    app,
    metrics,
    async listen(port, host = process.env.KLAXON_HOST ?? '0.0.0.0') {
      return app.listen({ port, host });
    },
    async close() {
      await app.close();
    },
  };
}
