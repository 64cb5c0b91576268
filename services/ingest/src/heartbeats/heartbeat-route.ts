import type { Router } from 'express';
import { BusUnavailableError, type Bus } from '@klaxon/bus';
import { HEARTBEAT_NAME, heartbeatKey, toInstant, type HeartbeatReceived } from '@klaxon/domain';
import { bearerToken, sendJson, type Logger } from '@klaxon/service-kit';

export interface HeartbeatRouteDeps {
  bus: Bus;
  topic: string;
  logger: Logger;
  now: () => Date;
  /** The integration a presented token belongs to. */
  integrationFor: (token: string | undefined) => string | undefined;
  retryAfterSeconds: number;
}

/**
 * `POST /api/v1/heartbeats/:name` (integration token): one beat, on the bus like an alert and keyed by its
 * monitor, so the instance that owns the monitor's misses takes its beats in order. `202` once durable.
 * Any well-formed name is taken: monitors are also made through escalation's API, which ingest cannot see
 * (it has no event store); escalation drops and counts a beat no monitor has.
 */
export function heartbeatRoute(routes: Router, deps: HeartbeatRouteDeps): void {
  routes.post('/api/v1/heartbeats/:name', async (req, res) => {
    const integration = deps.integrationFor(bearerToken(req.headers.authorization));
    if (!integration)
      return void res
        .status(401)
        .json({ error: 'missing or unknown integration token (Authorization: Bearer <token>)' });
    const name = req.params.name;
    if (!HEARTBEAT_NAME.test(name))
      return void res.status(400).json({ error: 'a heartbeat name is 1 to 100 letters, digits, ".", "_" or "-"' });
    const beat: HeartbeatReceived = {
      type: 'HeartbeatReceived',
      version: 1,
      heartbeat: name,
      integration,
      receivedAt: toInstant(deps.now()),
    };
    try {
      await deps.bus.publish(deps.topic, [{ key: heartbeatKey(name), value: beat, headers: { type: beat.type } }]);
    } catch (error) {
      if (!(error instanceof BusUnavailableError)) throw error;
      res.set('Retry-After', String(deps.retryAfterSeconds));
      return void res.status(503).json({ error: 'the bus is unavailable; the beat was not taken, retry later' });
    }
    deps.logger.debug({ heartbeat: name, integration }, 'heartbeat accepted');
    sendJson(res, 202, { accepted: 1, heartbeat: name });
  });
}
