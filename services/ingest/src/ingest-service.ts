import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { ALERTS_TOPIC, BusUnavailableError, type Bus } from '@klaxon/bus';
import { fileReload, type FileReload, type KlaxonConfig } from '@klaxon/config';
import type { AlertRecord } from '@klaxon/domain';
import {
  bearerToken,
  createServiceHttp,
  jsonBody,
  problemsOf,
  sendJson,
  tokenMatcher,
  type Logger,
  type Problem,
  type ServiceHttp,
} from '@klaxon/service-kit';
import { alertmanagerPayloadSchema } from './alertmanager/alertmanager-payload.ts';
import { normaliseAlertmanager } from './alertmanager/normalise-alertmanager.ts';
import { splitNotification } from './alertmanager/split-notification.ts';
import { genericEventSchema } from './events-api/event-payload.ts';
import { normaliseEvent } from './events-api/normalise-event.ts';
import { heartbeatRoute } from './heartbeats/heartbeat-route.ts';
import { reloadRoute } from './reload/reload-route.ts';
import { ingestMetrics, type RejectReason } from './ingest-metrics.ts';
import { MAX_ALERT_BYTES, MAX_DETAILS_DEPTH, MAX_GROUP_KEY_BYTES } from './intake/limits.ts';
import { pathBeyondDepth } from './intake/nesting.ts';
import { mayHoldUnstorableText, type RawBody } from './intake/raw-body.ts';
import type { Refusal } from './intake/refusal.ts';

export interface IngestDeps {
  logger: Logger;
  bus: Bus;
  integrations: Record<string, { token: string }>;
  maxBodyBytes?: number;
  topic?: string;
  now?: () => Date;
  /** Seconds a sender should wait before retrying when the bus is down. */
  retryAfterSeconds?: number;
  /**
   * The running configuration and its file, for `POST /-/reload` and `reload()` (SIGHUP); `integrations`
   * must then be this configuration's own object, which a reload changes in place.
   */
  reloadFrom?: { config: KlaxonConfig; file: string; env?: NodeJS.ProcessEnv };
}

export interface IngestService {
  http: ServiceHttp;
  /** Reads the configuration file again (SIGHUP); refused when started without `reloadFrom`. */
  reload: FileReload;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export function createIngestService(deps: IngestDeps): IngestService {
  const { logger, bus } = deps;
  const topic = deps.topic ?? ALERTS_TOPIC;
  const now = deps.now ?? (() => new Date());
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const http = createServiceHttp({
    service: 'ingest',
    logger,
    readiness: [{ name: `bus (${bus.kind})`, check: () => bus.ping() }],
    onClientError: (reason) => metrics.rejected.inc({ reason }),
  });
  const metrics = ingestMetrics(http.metrics);
  // Built again when a reload has applied (it changes the integrations where they are), not per request.
  const matchIntegrations = () =>
    tokenMatcher(Object.fromEntries(Object.entries(deps.integrations).map(([name, { token }]) => [name, token])));
  let matchIntegration = matchIntegrations();
  const integrationFor = (presented: string | undefined) => matchIntegration(presented);
  const json = jsonBody(maxBodyBytes);

  const reject = (res: Response, status: number, reason: RejectReason, body: object) => {
    metrics.rejected.inc({ reason });
    res.status(status).json(body);
  };
  const invalid = (res: Response, problems: Problem[]) =>
    reject(res, 400, 'invalid', { error: 'invalid payload', problems });
  /** No alert of the request can be taken: 413 when each is too large for the bus, else 400. */
  const refuseAll = (res: Response, refused: Refusal[]) => {
    const problems = refused.map(({ path, message }) => ({ path, message }));
    if (refused.every((r) => r.reason === 'too_large'))
      return reject(res, 413, 'too_large', {
        error: 'no alert of the request fits on the bus',
        problems,
        limitBytes: MAX_ALERT_BYTES,
      });
    return invalid(res, problems);
  };
  const noteRefused = (req: Request, integration: string, refused: Refusal[]) => {
    if (refused.length === 0) return;
    for (const { reason } of refused) metrics.alertsRefused.inc({ integration, reason });
    req.log.warn({ integration, refused }, 'refused alerts no store or bus can keep');
  };

  const publish = async (req: Request, res: Response, records: AlertRecord[], extra: object = {}) => {
    const stopTimer = metrics.publishSeconds.startTimer();
    try {
      await bus.publish(
        topic,
        records.map((record) => ({ key: record.groupKey, value: record, headers: { type: record.type } })),
      );
    } catch (error) {
      if (!(error instanceof BusUnavailableError)) throw error;
      req.log.warn({ err: error.message, records: records.length }, 'bus unavailable, asked the sender to retry');
      res.set('Retry-After', String(deps.retryAfterSeconds ?? 5));
      return reject(res, 503, 'bus_unavailable', {
        error: 'the bus is unavailable; nothing was accepted, retry later',
      });
    } finally {
      stopTimer();
    }
    // One count per status, not one per alert: a label lookup each adds up over a 50-alert notification.
    const byStatus = new Map<string, number>();
    for (const record of records) {
      for (const { status } of record.type === 'AlertsReceived' ? record.alerts : [record])
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    }
    const [{ integration, groupKey }] = records as [AlertRecord];
    for (const [status, n] of byStatus) metrics.received.inc({ integration, status }, n);
    const accepted = [...byStatus.values()].reduce((sum, n) => sum + n, 0);
    req.log.info({ integration, groupKey, alerts: accepted }, 'accepted');
    sendJson(res, 202, { accepted, ...extra });
  };

  http.routes.post(
    '/api/v1/alertmanager',
    // The token is in a header: refuse before reading a body we would throw away.
    (req, res, next) => {
      const integration = integrationFor(bearerToken(req.headers.authorization));
      if (!integration)
        return reject(res, 401, 'unauthorized', {
          error: 'missing or unknown integration token (Authorization: Bearer <token>)',
        });
      res.locals.integration = integration;
      next();
    },
    json,
    async (req, res) => {
      const parsed = alertmanagerPayloadSchema.safeParse(req.body);
      if (!parsed.success) return invalid(res, problemsOf(parsed.error));
      const { groupKey } = parsed.data;
      // The key is in every record of the notification: it cannot be split off.
      if (groupKey.length * 3 > MAX_GROUP_KEY_BYTES && Buffer.byteLength(groupKey) > MAX_GROUP_KEY_BYTES)
        return reject(res, 413, 'too_large', {
          error: 'the group key is too large for the bus',
          problems: [{ path: 'groupKey', message: `over ${MAX_GROUP_KEY_BYTES} bytes` }],
          limitBytes: MAX_GROUP_KEY_BYTES,
        });
      const integration = res.locals.integration as string;
      const { notification, sizes, refused, replaced } = normaliseAlertmanager(parsed.data, integration, now(), {
        bytes: res.locals.bodyBytes as number,
        mayHoldUnstorableText: mayHoldUnstorableText(res.locals.rawBody as RawBody | undefined),
      });
      if (replaced > 0) metrics.textReplaced.inc({ integration }, replaced);
      noteRefused(req, integration, refused);
      if (notification.alerts.length === 0) return refuseAll(res, refused);
      await publish(req, res, splitNotification(notification, sizes), {
        groupKey,
        ...(refused.length > 0
          ? { refused: refused.map(({ index, path, message }) => ({ index, path, message })) }
          : {}),
      });
    },
  );

  http.routes.post('/api/v1/events', json, async (req, res) => {
    const body = req.body as { routing_key?: unknown } | undefined;
    const presented =
      typeof body === 'object' && body !== null && typeof body.routing_key === 'string' ? body.routing_key : undefined;
    const parsed = genericEventSchema.safeParse(req.body);
    if (presented === undefined && !parsed.success) return invalid(res, problemsOf(parsed.error));
    const integration = integrationFor(presented);
    if (!integration) return reject(res, 401, 'unauthorized', { error: 'unknown routing_key' });
    if (!parsed.success) return invalid(res, problemsOf(parsed.error));
    const tooDeep = pathBeyondDepth(parsed.data.payload?.custom_details, MAX_DETAILS_DEPTH);
    if (tooDeep)
      return invalid(res, [
        {
          path: ['payload', 'custom_details', ...tooDeep].join('.'),
          message: `nested more than ${MAX_DETAILS_DEPTH} levels deep`,
        },
      ]);
    const normalised = normaliseEvent(parsed.data, parsed.data.dedup_key ?? randomUUID(), integration, now());
    if (!normalised.ok) {
      noteRefused(req, integration, [normalised.refusal]);
      return refuseAll(res, [normalised.refusal]);
    }
    if (normalised.replaced > 0) metrics.textReplaced.inc({ integration }, normalised.replaced);
    await publish(req, res, [normalised.alert], {
      status: 'success',
      message: 'Event processed',
      dedup_key: normalised.alert.groupKey,
    });
  });

  // quiet (issue 27): beats of heartbeat monitors.
  heartbeatRoute(http.routes, {
    bus,
    topic,
    logger,
    now,
    integrationFor,
    retryAfterSeconds: deps.retryAfterSeconds ?? 5,
  });

  const from = deps.reloadFrom;
  // Ingest's part of a reload: the integration tokens and heartbeat monitors of the file read again. An
  // ingest started on a configuration object (tests), not a file, refuses reloads (`NoFile`).
  const reload: FileReload = from
    ? fileReload({
        ...from,
        logger,
        onApplied: () => {
          matchIntegration = matchIntegrations();
        },
      })
    : () => ({ ok: false, error: 'NoFile' });
  reloadRoute(http.routes, from?.config.api.tokens ?? [], reload);

  return { http, reload, stop: () => http.close() };
}
