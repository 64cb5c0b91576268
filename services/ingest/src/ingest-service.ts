import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ALERTS_TOPIC, BusUnavailableError, type Bus } from '@klaxon/bus';
import type { AlertReceived } from '@klaxon/domain';
import { bearerToken, createServiceHttp, problemsOf, tokenMatcher, type Logger, type Problem, type ServiceHttp } from '@klaxon/service-kit';
import { alertmanagerPayloadSchema } from './alertmanager/alertmanager-payload.ts';
import { normaliseAlertmanager } from './alertmanager/normalise-alertmanager.ts';
import { genericEventSchema } from './events-api/event-payload.ts';
import { normaliseEvent } from './events-api/normalise-event.ts';
import { ingestMetrics, type RejectReason } from './ingest-metrics.ts';

export interface IngestDeps {
  logger: Logger;
  bus: Bus;
  integrations: Record<string, { token: string }>;
  maxBodyBytes?: number;
  topic?: string;
  now?: () => Date;
  /** Seconds a sender should wait before retrying when the bus is down. */
  retryAfterSeconds?: number;
}

export interface IngestService {
  http: ServiceHttp;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

const FASTIFY_REJECTIONS: Record<string, { status: number; reason: RejectReason; message: (e: Error) => string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, reason: 'too_large', message: () => 'request body is over the size limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, reason: 'unsupported_media_type', message: () => 'send JSON with Content-Type: application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, reason: 'invalid', message: () => 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, reason: 'invalid', message: () => 'the body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, reason: 'invalid', message: (e) => `the body is not valid JSON: ${e.message}` },
};

export function createIngestService(deps: IngestDeps): IngestService {
  const { logger, bus } = deps;
  const topic = deps.topic ?? ALERTS_TOPIC;
  const now = deps.now ?? (() => new Date());
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const http = createServiceHttp({
    service: 'ingest',
    logger,
    bodyLimitBytes: maxBodyBytes,
    readiness: [{ name: `bus (${bus.kind})`, check: () => bus.ping() }],
  });
  const metrics = ingestMetrics(http.metrics);
  const integrationFor = tokenMatcher(Object.fromEntries(Object.entries(deps.integrations).map(([name, { token }]) => [name, token])));
  const { app } = http;
  // The integration a request's token named, found once in onRequest and read again by the handler.
  const integrationOf = new WeakMap<FastifyRequest, string>();
  // JSON only: anything else is answered 415 rather than parsed as a string and refused as invalid.
  app.removeContentTypeParser('text/plain');

  const reject = (reply: FastifyReply, status: number, reason: RejectReason, body: object) => {
    metrics.rejected.inc({ reason });
    return reply.code(status).send(body);
  };
  const invalid = (reply: FastifyReply, problems: Problem[]) => reject(reply, 400, 'invalid', { error: 'invalid payload', problems });

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const known = error.code ? FASTIFY_REJECTIONS[error.code] : undefined;
    if (known) {
      return reject(reply, known.status, known.reason, {
        error: known.message(error),
        ...(known.status === 413 ? { limitBytes: maxBodyBytes } : {}),
        ...(known.status === 400 ? { problems: [{ path: '', message: known.message(error) }] } : {}),
      });
    }
    if (error.statusCode && error.statusCode < 500) return reject(reply, error.statusCode, 'invalid', { error: error.message });
    request.log.error({ err: error }, 'unexpected failure');
    return reply.code(500).send({ error: 'internal error' });
  });

  const publish = async (reply: FastifyReply, request: FastifyRequest, alerts: AlertReceived[], extra: object = {}) => {
    const stopTimer = metrics.publishSeconds.startTimer();
    try {
      await bus.publish(topic, alerts.map((alert) => ({ key: alert.groupKey, value: alert, headers: { type: alert.type } })));
    } catch (error) {
      if (!(error instanceof BusUnavailableError)) throw error;
      request.log.warn({ err: error.message, alerts: alerts.length }, 'bus unavailable, asked the sender to retry');
      reply.header('Retry-After', String(deps.retryAfterSeconds ?? 5));
      return reject(reply, 503, 'bus_unavailable', { error: 'the bus is unavailable; nothing was accepted, retry later' });
    } finally {
      stopTimer();
    }
    for (const alert of alerts) metrics.received.inc({ integration: alert.integration, status: alert.status });
    request.log.info({ integration: alerts[0]?.integration, groupKey: alerts[0]?.groupKey, alerts: alerts.length }, 'accepted');
    return reply.code(202).send({ accepted: alerts.length, ...extra });
  };

  app.post('/api/v1/alertmanager', {
    // The token is in a header: refuse before reading a body we would throw away.
    onRequest: async (request, reply) => {
      const integration = integrationFor(bearerToken(request.headers.authorization));
      if (!integration) {
        return reject(reply, 401, 'unauthorized', { error: 'missing or unknown integration token (Authorization: Bearer <token>)' });
      }
      integrationOf.set(request, integration);
    },
    handler: async (request, reply) => {
      const integration = integrationOf.get(request)!;
      const parsed = alertmanagerPayloadSchema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, problemsOf(parsed.error));
      return publish(reply, request, normaliseAlertmanager(parsed.data, integration, now()), { groupKey: parsed.data.groupKey });
    },
  });

  app.post('/api/v1/events', async (request, reply) => {
    const body = request.body as { routing_key?: unknown } | null;
    const presented = typeof body === 'object' && body !== null && typeof body.routing_key === 'string' ? body.routing_key : undefined;
    const parsed = genericEventSchema.safeParse(request.body);
    if (presented === undefined && !parsed.success) return invalid(reply, problemsOf(parsed.error));
    const integration = integrationFor(presented);
    if (!integration) return reject(reply, 401, 'unauthorized', { error: 'unknown routing_key' });
    if (!parsed.success) return invalid(reply, problemsOf(parsed.error));
    const dedupKey = parsed.data.dedup_key ?? randomUUID();
    return publish(reply, request, [normaliseEvent(parsed.data, dedupKey, integration, now())], {
      status: 'success',
      message: 'Event processed',
      dedup_key: dedupKey,
    });
  });

  return { http, stop: () => http.close() };
}
