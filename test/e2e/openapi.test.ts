import { createHmac } from 'node:crypto';
import { ALERTS_TOPIC } from '@klaxon/bus';
import { slackSignature, startFakeSlack, tempDir, type FakeSlack } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackLinks } from '../../services/escalation/src/acks/ack-links.ts';
import {
  LINK_SECRET,
  PUBLIC_URL,
  startEscalation,
  type Harness as EscalationHarness,
} from '../../services/escalation/test/support/escalation-harness.ts';
import { API_TOKEN, testConfig } from '../../services/escalation/test/support/test-config.ts';
import {
  AM_TOKEN,
  EVENTS_TOKEN,
  fixture,
  startIngest,
  type IngestHarness,
} from '../../services/ingest/test/support/ingest-harness.ts';
import { appendScenario } from '../../services/projection/test/support/kpi-scenario.ts';
import {
  API_TOKEN as KPI_TOKEN,
  startProjection,
  type ProjectionHarness,
} from '../../services/projection/test/support/projection-harness.ts';
import { openSqliteDatabase } from '../../services/projection/src/index.ts';
import { mountedRoutes, type MountedRoute } from './mounted-routes.ts';
import {
  loadOpenApi,
  operationFor,
  operationsOf,
  responseValidators,
  type OpenApi,
  type Operation,
  type Service,
} from './openapi-document.ts';

const doc = loadOpenApi();
const operations = operationsOf(doc);
const validatorAt = responseValidators(doc);
const describeOperation = (o: Pick<Operation, 'service' | 'method' | 'path'>) =>
  `${o.service} ${o.method.toUpperCase()} ${o.path}`;

/** Mounted routes the document does not name, and operations of the document no service mounts. */
function routeCoverage(mounted: Record<Service, MountedRoute[]>) {
  const undocumented: string[] = [];
  const unmounted: string[] = [];
  for (const [service, routes] of Object.entries(mounted) as [Service, MountedRoute[]][]) {
    const documented = operations.filter((o) => o.service === service);
    for (const route of routes) {
      const { path } = route;
      const named =
        typeof path === 'string' && !route.prefix
          ? documented.some((o) => o.method === route.method && o.path === path.replace(/:(\w+)/g, '{$1}'))
          : documented.some(
              (o) =>
                (route.prefix || o.method === route.method) &&
                route.matches(o.sample) &&
                (!route.prefix || o.path.startsWith(`${String(route.path)}/`)),
            );
      if (!named)
        undocumented.push(`${service} ${route.method.toUpperCase()} ${String(route.path)}${route.prefix ? '/…' : ''}`);
    }
    for (const operation of documented) {
      if (!routes.some((r) => (r.prefix || r.method === operation.method) && r.matches(operation.sample)))
        unmounted.push(describeOperation(operation));
    }
  }
  return { undocumented, unmounted };
}

interface Exchange {
  service: Service;
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/** Whether one answer fits the document: its operation, its status, its media type and, for JSON, its schema. */
function problemsWith(exchange: Exchange): { operation?: Operation; problems: string[] } {
  const request = `${exchange.service} ${exchange.method} ${exchange.path} → ${exchange.status}`;
  const operation = operationFor(operations, exchange.service, exchange.method, exchange.path);
  if (!operation) return { problems: [`${request}: no operation of the document`] };
  const response = operation.responses[String(exchange.status)] ?? operation.responses.default;
  if (!response)
    return { operation, problems: [`${request}: status not documented for ${describeOperation(operation)}`] };
  const content = (response.content ?? {}) as Record<string, unknown>;
  if (exchange.body === '' && Object.keys(content).length === 0) return { operation, problems: [] };
  const mediaType = exchange.contentType.split(';')[0]!.trim();
  if (!(mediaType in content))
    return {
      operation,
      problems: [
        `${request}: answered ${mediaType || 'no media type'}, documented ${Object.keys(content).join(', ') || 'no body'}`,
      ],
    };
  if (mediaType !== 'application/json') return { operation, problems: [] };
  const validate = validatorAt(response.pointer as string, mediaType);
  if (validate(JSON.parse(exchange.body))) return { operation, problems: [] };
  return {
    operation,
    problems: [`${request}: ${JSON.stringify(validate.errors?.slice(0, 5))}\nbody: ${exchange.body.slice(0, 500)}`],
  };
}

/** Twilio's request signature (HMAC-SHA1 of the URL and the sorted form fields), as Twilio sends it. */
const twilioSignature = (authToken: string, url: string, params: Record<string, string>) =>
  createHmac('sha1', authToken)
    .update(
      url +
        Object.keys(params)
          .sort()
          .map((k) => k + params[k])
          .join(''),
    )
    .digest('base64');

describe('docs/openapi.yaml describes the HTTP API the services serve', () => {
  let projection: ProjectionHarness;
  let escalation: EscalationHarness;
  let ingest: IngestHarness;
  let slack: FakeSlack;
  const exchanges: Exchange[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    const kpiDir = tempDir('klaxon-openapi-kpis-');
    projection = await startProjection(async () => openSqliteDatabase(kpiDir.file('kpis.db')));
    slack = await startFakeSlack();
    escalation = await startEscalation({
      projectionUrl: projection.base,
      // A webhook and Slack, so that their routes answer as they do when set up.
      config: testConfig({
        extra: `webhooks:
  - { name: tickets, url: "http://127.0.0.1:9/hooks", events: [incident.opened], secret: "whsec_${'A'.repeat(43)}=" }
chat:
  slack: { botToken: ${slack.botToken}, signingSecret: ${slack.signingSecret}, apiUrl: "${slack.url}" }
`,
      }),
    });
    ingest = await startIngest({ maxBodyBytes: 64 * 1024 });
    const serviceOf = new Map<string, Service>([
      [new URL(ingest.base).origin, 'ingest'],
      [new URL(escalation.base).origin, 'escalation'],
      [new URL(projection.base).origin, 'projection'],
    ]);
    // Every answer any of the three gives in this file, the tests' own requests and escalation's KPI
    // pass-through to projection alike, is kept to be held against the document.
    globalThis.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input));
      const service = serviceOf.get(url.origin);
      if (service) {
        const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
        const body = await response.clone().text();
        exchanges.push({
          service,
          method,
          path: url.pathname,
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          body,
        });
      }
      return response;
    };
  });

  afterAll(async () => {
    globalThis.fetch = realFetch;
    await Promise.all([ingest?.close(), escalation?.close(), projection?.close(), slack?.close()]);
  });

  it('declares every path parameter it uses, and names each operation once', () => {
    const undeclared: string[] = [];
    for (const [path, item] of Object.entries<OpenApi>(doc.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m])) {
        const declared = [...(item.parameters ?? []), ...(item[method].parameters ?? [])]
          .map((p: OpenApi) => (p.$ref ? doc.components.parameters[String(p.$ref).split('/').pop()!] : p))
          .filter((p: OpenApi) => p.in === 'path')
          .map((p: OpenApi) => String(p.name));
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
          if (!declared.includes(name!)) undeclared.push(`${method.toUpperCase()} ${path}: {${name}}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
    const ids = Object.values<OpenApi>(doc.paths).flatMap((item) =>
      ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).map((m) => String(item[m].operationId)),
    );
    expect(ids.filter((id, i) => id === 'undefined' || ids.indexOf(id) !== i)).toEqual([]);
  });

  it('names every route the three services mount, and no route they do not', () => {
    const mounted = {
      ingest: mountedRoutes(ingest.service.http.app),
      escalation: mountedRoutes(escalation.service.http.app),
      projection: mountedRoutes(projection.service.http.app),
    };
    // The routes are read from the apps themselves: a stack read wrongly would find (next to) nothing.
    expect(mounted.escalation.length).toBeGreaterThan(20);
    expect(routeCoverage(mounted)).toEqual({ undocumented: [], unmounted: [] });
  });

  it(
    'fits every answer of a scenario that reaches each operation: an alert paged, acknowledged by SMS, call and email link, commanded through the API, KPIs read, ingest refusing and its bus lost',
    { timeout: 60_000 },
    async () => {
      const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(`${escalation.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${API_TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
      const twilioForm = async (action: string, params: Record<string, string>, signed = true) => {
        const response = await fetch(`${escalation.base}${action.slice(PUBLIC_URL.length)}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': signed
              ? twilioSignature(escalation.providers.twilio.authToken, action, params)
              : 'forged',
          },
          body: new URLSearchParams(params).toString(),
        });
        await escalation.service.drained();
        return response;
      };

      for (const base of [ingest.base, escalation.base, projection.base]) {
        for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${base}${path}`)).status).toBe(200);
      }

      // Projection: the KPI runbook scenario, read directly and through escalation.
      await appendScenario(projection.store);
      await projection.service.runner.catchUp();
      expect((await projection.get('/api/v1/kpis?bucket=day&from=2026-11-23&to=2026-11-25')).status).toBe(200);
      expect((await projection.get('/api/v1/kpis', { accept: 'text/csv' })).status).toBe(200);
      expect((await projection.get('/api/v1/kpis/responders')).status).toBe(200);
      expect((await projection.get('/api/v1/kpis?bucket=hour')).status).toBe(400);
      expect((await fetch(`${projection.base}/api/v1/kpis/responders`)).status).toBe(401);
      // Each service reloads its configuration; these run on configuration objects, with no file to read.
      expect((await fetch(`${projection.base}/-/reload`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${ingest.base}/-/reload`, { method: 'POST' })).status).toBe(401);
      expect(KPI_TOKEN).not.toBe(API_TOKEN);
      expect(
        (await api('GET', '/api/v1/kpis?severity=P1', undefined, { authorization: `Bearer ${KPI_TOKEN}` })).status,
      ).toBe(200);
      expect(
        (await api('GET', '/api/v1/kpis/responders', undefined, { authorization: `Bearer ${KPI_TOKEN}` })).status,
      ).toBe(200);
      expect((await api('GET', '/api/v1/kpis')).status).toBe(401);

      // People: a token handed to alice; she reads who she is, makes and revokes one of her own; hers is revoked.
      const handed = await api('POST', '/api/v1/people/alice/tokens', { name: 'laptop', expiresIn: '30d' });
      expect(handed.status).toBe(201);
      const first = (await handed.clone().json()) as { id: string; token: string };
      const alice = { authorization: `Bearer ${first.token}` };
      expect((await api('GET', '/api/v1/me', undefined, alice)).status).toBe(200);
      const own = await api('POST', '/api/v1/me/tokens', { name: 'phone' }, alice);
      expect(own.status).toBe(201);
      expect((await api('GET', '/api/v1/me/tokens', undefined, alice)).status).toBe(200);
      const ownId = ((await own.clone().json()) as { id: string }).id;
      expect((await api('DELETE', `/api/v1/me/tokens/${ownId}`, undefined, alice)).status).toBe(204);
      expect((await api('GET', '/api/v1/people/alice/tokens')).status).toBe(200);
      expect((await api('DELETE', `/api/v1/people/alice/tokens/${first.id}`)).status).toBe(204);
      expect((await api('GET', '/api/v1/me', undefined, alice)).status).toBe(401);
      expect((await api('GET', '/api/v1/people/alice/tokens', undefined, alice)).status).toBe(401);
      const second = (await (await api('POST', '/api/v1/people/alice/tokens', { name: 'desk' })).json()) as {
        token: string;
      };
      const alice2 = () => ({ authorization: `Bearer ${second.token}` });

      // Escalation: two incidents, one paged by SMS and email at L1, one by a call at L3.
      await escalation.alert(
        { alertname: 'OrdersDown', service: 'orders', severity: 'critical' },
        { summary: 'Orders API returns 503' },
      );
      await escalation.alert({ alertname: 'Intrusion', category: 'security', severity: 'critical' });
      const list = await api('GET', '/api/v1/incidents?status=unresolved&limit=1');
      const listed = (await list.json()) as { incidents: { id: string; openedAt: string }[]; nextCursor: string };
      const { incidents, nextCursor } = listed;
      expect(incidents).toHaveLength(1);
      expect((await api('GET', `/api/v1/incidents?cursor=${nextCursor}`)).status).toBe(200);
      expect((await api('GET', '/api/v1/incidents?status=burning')).status).toBe(400);
      expect((await fetch(`${escalation.base}/api/v1/incidents`)).status).toBe(401);
      const orders = ((await (await api('GET', '/api/v1/incidents?q=orders')).json()) as typeof listed).incidents[0]!;
      expect((await api('GET', `/api/v1/incidents/${orders.id}`)).status).toBe(200);
      expect((await api('GET', `/api/v1/incidents/${orders.id}?at=${orders.openedAt}`)).status).toBe(200);
      expect((await api('GET', `/api/v1/incidents/${orders.id}?at=2000-01-01T00:00:00Z`)).status).toBe(404);
      expect((await api('GET', `/api/v1/incidents/${orders.id}?at=soon`)).status).toBe(400);
      expect((await api('GET', '/api/v1/incidents/no-such-incident')).status).toBe(404);
      expect((await api('GET', `/api/v1/incidents/${orders.id}/postmortem`)).status).toBe(200);
      expect((await api('GET', '/api/v1/incidents/no-such-incident/postmortem')).status).toBe(404);

      // An email link sent before one-tap links, opened and pressed, before anything else acknowledges the incident.
      const link = `${PUBLIC_URL}/ack/${ackLinks(LINK_SECRET).issue(orders.id, 'alice', escalation.clock.now())}`;
      const linkPath = link.slice(PUBLIC_URL.length);
      expect((await fetch(`${escalation.base}${linkPath}`)).status).toBe(200);
      expect((await fetch(`${escalation.base}${linkPath.slice(0, -2)}xx`)).status).toBe(403);
      expect((await fetch(`${escalation.base}${linkPath}`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${escalation.base}${linkPath}`, { method: 'POST' })).status).toBe(409);
      await escalation.service.drained();

      // The one-tap link of the SMS: the page, an acknowledgement refused (already done), an escalation,
      // and a tampered link.
      const oneTap = /https:\S+(\/i\/\S+)/.exec(escalation.providers.twilio.messages()[0]!.Body)![1]!;
      expect((await fetch(`${escalation.base}${oneTap}`)).status).toBe(200);
      const tap = (path: string) => fetch(`${escalation.base}${path}`, { method: 'POST', redirect: 'manual' });
      expect((await tap(`${oneTap}/acknowledge`)).status).toBe(409);
      expect((await tap(`${oneTap}/escalate`)).status).toBe(303);
      expect((await tap(`${oneTap.slice(0, -2)}xx/resolve`)).status).toBe(403);
      await escalation.service.drained();

      // Sign-in without auth.oidc, and the audit log.
      expect((await fetch(`${escalation.base}/auth/login`)).status).toBe(404);
      expect((await fetch(`${escalation.base}/auth/callback?code=x&state=y`)).status).toBe(404);
      expect((await fetch(`${escalation.base}/auth/logout`, { method: 'POST' })).status).toBe(204);
      expect((await api('GET', '/api/v1/audit?limit=5')).status).toBe(200);
      expect((await api('GET', '/api/v1/audit?since=yesterday')).status).toBe(400);

      // The SMS reply and the call's keypress, signed as Twilio signs them.
      const sms = { From: '+15550100001', To: '+15559990000', Body: '1c', MessageSid: 'SM1' };
      expect((await twilioForm(`${PUBLIC_URL}/webhooks/twilio/sms`, sms, false)).status).toBe(403);
      expect((await twilioForm(`${PUBLIC_URL}/webhooks/twilio/sms`, sms)).status).toBe(200);
      const [call] = escalation.providers.twilio.calls();
      const action = /action="([^"]+)"/.exec(call!.Twiml)![1]!.replace(/&amp;/g, '&');
      expect((await twilioForm(action, { Digits: '1', CallSid: 'CA1' })).status).toBe(200);
      // A keypress on a call Vonage placed, unsigned (its signed path: services/escalation/test/vonage-voice.test.ts).
      const vonageKeypress = await fetch(
        `${escalation.base}/webhooks/vonage/voice?incident=${orders.id}&contact=alice`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dtmf: { digits: '1' } }),
        },
      );
      expect(vonageKeypress.status).toBe(403);

      // Reaching people: a delivery receipt (signed, and forged); bob's own contact method, verified by its code.
      const receiptUrl = `${PUBLIC_URL}/webhooks/twilio/status?incident=${orders.id}&page=p1`;
      const receipt = { MessageSid: 'SM-other', MessageStatus: 'delivered' };
      expect((await twilioForm(receiptUrl, receipt, false)).status).toBe(403);
      expect((await twilioForm(receiptUrl, receipt)).status).toBe(204);
      const bobsToken = (await (await api('POST', '/api/v1/people/bob/tokens', { name: 'phone' })).json()) as {
        token: string;
      };
      const bob = { authorization: `Bearer ${bobsToken.token}` };
      const added = await api('POST', '/api/v1/me/methods', { type: 'sms', to: '+15550107777' }, bob);
      expect(added.status).toBe(201);
      const methodId = ((await added.clone().json()) as { id: string }).id;
      expect((await api('POST', '/api/v1/me/methods', { type: 'sms', to: 'soon' }, bob)).status).toBe(400);
      expect((await api('POST', `/api/v1/me/methods/${methodId}/verify`, undefined, bob)).status).toBe(202);
      const code = /code is (\d{6})/.exec(escalation.providers.twilio.messages().at(-1)!.Body)![1]!;
      const wrong = code === '000000' ? '111111' : '000000';
      expect((await api('POST', `/api/v1/me/methods/${methodId}/confirm`, { code: wrong }, bob)).status).toBe(422);
      expect((await api('POST', `/api/v1/me/methods/${methodId}/confirm`, { code }, bob)).status).toBe(200);
      expect((await api('GET', '/api/v1/me/methods', undefined, bob)).status).toBe(200);
      expect((await api('POST', `/api/v1/me/methods/${methodId}/test`, undefined, bob)).status).toBe(202);
      expect((await api('DELETE', `/api/v1/me/methods/${methodId}`, undefined, bob)).status).toBe(204);
      expect((await api('DELETE', '/api/v1/me/methods/sms', undefined, bob)).status).toBe(409);
      expect((await api('POST', '/api/v1/me/methods/m_none/verify', undefined, bob)).status).toBe(404);
      expect((await api('GET', '/api/v1/me/rules', undefined, bob)).status).toBe(200);
      const rules = {
        high: [
          { after: '0m', method: 'sms' },
          { after: '2m', method: 'voice' },
        ],
        low: [{ after: '0m', method: 'email' }],
      };
      expect(
        (await api('PUT', '/api/v1/me/rules', { ...rules, quietHours: { from: '22:00', to: '07:00' } }, bob)).status,
      ).toBe(200);
      expect((await api('PUT', '/api/v1/me/rules', { high: [{ after: 'soon', method: 'sms' }] }, bob)).status).toBe(
        400,
      );

      // The incident API's commands, accepted and refused.
      expect((await api('POST', `/api/v1/incidents/${orders.id}/reopen`, { by: 'alice' })).status).toBe(200);
      expect((await api('POST', `/api/v1/incidents/${orders.id}/acknowledge`, { by: 'alice' })).status).toBe(200);
      expect((await api('POST', `/api/v1/incidents/${orders.id}/acknowledge`, { by: 'alice' })).status).toBe(409);
      expect(
        (
          await api('POST', `/api/v1/incidents/${orders.id}/status-updates`, {
            by: 'alice',
            text: 'Failing over the database',
          })
        ).status,
      ).toBe(200);
      expect((await api('POST', `/api/v1/incidents/${orders.id}/status-updates`, { by: 'alice' })).status).toBe(400);
      expect(
        (await api('POST', `/api/v1/incidents/${orders.id}/severity`, { by: 'alice', severity: 'P2' })).status,
      ).toBe(200);
      expect((await api('POST', `/api/v1/incidents/${orders.id}/escalate`, { by: 'alice' })).status).toBe(200);
      expect((await api('POST', `/api/v1/incidents/${orders.id}/resolve`, { by: 'alice' })).status).toBe(200);
      expect((await api('POST', '/api/v1/incidents/no-such-incident/resolve', { by: 'alice' })).status).toBe(404);
      expect(
        (await api('POST', `/api/v1/incidents/${orders.id}/reopen`, 'by=alice', { 'content-type': 'text/plain' }))
          .status,
      ).toBe(415);
      // A record escalation cannot read is moved aside at once, and listed.
      await escalation.bus.publish(ALERTS_TOPIC, [{ key: 'not-an-alert', value: { type: 'Nonsense' } }]);
      for (let deadline = Date.now() + 10_000; ;) {
        const listedLetters = (await (await api('GET', '/api/v1/dead-letters?limit=10')).json()) as {
          deadLetters: unknown[];
        };
        if (listedLetters.deadLetters.length > 0) break;
        if (Date.now() > deadline) throw new Error('escalation did not move the record aside');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await api('GET', '/api/v1/dead-letters?limit=0')).status).toBe(400);
      expect((await api('GET', '/api/v1/oncall?days=3')).status).toBe(200);
      expect((await api('GET', '/api/v1/oncall?days=0')).status).toBe(400);

      // On-call changes: schedules read, an override added and removed, the pager taken, each refused too.
      {
        // On-call changes: bob's own token again, in a scope of its own.
        expect((await api('GET', '/api/v1/schedules')).status).toBe(200);
        expect(
          (await api('GET', '/api/v1/schedules/primary?from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z')).status,
        ).toBe(200);
        expect((await api('GET', '/api/v1/schedules/primary?from=yesterday')).status).toBe(400);
        expect((await api('GET', '/api/v1/schedules/ghost')).status).toBe(404);
        const bob = {
          authorization: `Bearer ${((await (await api('POST', '/api/v1/people/bob/tokens', { name: 'phone' })).json()) as { token: string }).token}`,
        };
        const cover = { start: '2026-11-23T12:00:00Z', end: '2026-11-23T14:00:00Z', person: 'bob', reason: 'cover' };
        const added = await api('POST', '/api/v1/schedules/primary/overrides', cover);
        expect(added.status).toBe(201);
        const { overrideId } = (await added.clone().json()) as { overrideId: string };
        expect((await api('POST', '/api/v1/schedules/primary/overrides', cover)).status).toBe(409);
        expect((await api('POST', '/api/v1/schedules/primary/overrides', { ...cover, start: 'noon' })).status).toBe(
          400,
        );
        expect((await api('POST', '/api/v1/schedules/primary/overrides', { ...cover, person: 'zed' })).status).toBe(
          404,
        );
        expect(
          (await api('POST', '/api/v1/schedules/primary/overrides', { ...cover, person: 'tom' }, bob)).status,
        ).toBe(403);
        expect((await api('DELETE', `/api/v1/schedules/primary/overrides/${overrideId}`, undefined, bob)).status).toBe(
          403,
        );
        expect((await api('DELETE', `/api/v1/schedules/primary/overrides/${overrideId}`)).status).toBe(200);
        expect((await api('DELETE', `/api/v1/schedules/primary/overrides/${overrideId}`)).status).toBe(404);
        expect((await api('POST', '/api/v1/schedules/primary/take', { until: '1h' }, bob)).status).toBe(201);
        expect((await api('POST', '/api/v1/schedules/primary/take', { until: '2h' }, bob)).status).toBe(409);
        expect((await api('POST', '/api/v1/schedules/primary/take', { until: 'later' }, bob)).status).toBe(400);
        expect((await api('POST', '/api/v1/schedules/primary/take', { until: '1h' })).status).toBe(403);
        expect((await api('POST', '/api/v1/schedules/ghost/take', { until: '1h' }, bob)).status).toBe(404);
        // The harness's escalation runs on a configuration object, not a file: a reload is refused.
        expect((await api('POST', '/-/reload')).status).toBe(409);
        expect((await api('POST', '/-/reload', undefined, bob)).status).toBe(403);
      }
      // quiet (issue 27): heartbeats, silences and maintenance windows.
      expect((await api('GET', '/api/v1/heartbeats')).status).toBe(200);
      const monitor = { name: 'made-by-api', interval: '1h', grace: '5m', labels: { severity: 'warning' } };
      expect((await api('POST', '/api/v1/heartbeats', monitor)).status).toBe(201);
      expect((await api('POST', '/api/v1/heartbeats', monitor)).status).toBe(409);
      expect((await api('POST', '/api/v1/heartbeats', { ...monitor, name: 'other', interval: 'soon' })).status).toBe(
        400,
      );
      expect((await api('GET', '/api/v1/heartbeats')).status).toBe(200);
      expect((await api('DELETE', '/api/v1/heartbeats/made-by-api')).status).toBe(204);
      expect((await api('DELETE', '/api/v1/heartbeats/made-by-api')).status).toBe(404);
      const silence = await api('POST', '/api/v1/silences', {
        matchers: { service: 'search' },
        duration: '2h',
        comment: 'reindex',
      });
      expect(silence.status).toBe(201);
      expect((await api('POST', '/api/v1/silences', { matchers: {}, duration: '2h', comment: 'all' })).status).toBe(
        400,
      );
      expect((await api('GET', '/api/v1/silences')).status).toBe(200);
      const silenceId = ((await silence.clone().json()) as { id: string }).id;
      expect((await api('DELETE', `/api/v1/silences/${silenceId}`)).status).toBe(200);
      expect((await api('DELETE', '/api/v1/silences/no-such-silence')).status).toBe(404);
      const weekly = { matchers: { service: 'search' }, every: 'weekly', days: ['sat'], from: '02:00', to: '04:00' };
      const window = await api('POST', '/api/v1/maintenance', {
        ...weekly,
        timezone: 'Europe/Berlin',
        comment: 'vacuum',
      });
      expect(window.status).toBe(201);
      expect(
        (await api('POST', '/api/v1/maintenance', { ...weekly, timezone: 'Mars/Olympus', comment: 'x' })).status,
      ).toBe(400);
      expect((await api('GET', '/api/v1/maintenance')).status).toBe(200);
      const windowId = ((await window.clone().json()) as { id: string }).id;
      expect((await api('DELETE', `/api/v1/maintenance/${windowId}`)).status).toBe(200);
      expect((await api('DELETE', '/api/v1/maintenance/no-such-window')).status).toBe(404);

      // Calendar feeds, with a feed token alice makes with her own token.
      const calendar = await api('POST', '/api/v1/me/calendar-token', undefined, alice2());
      expect(calendar.status).toBe(201);
      const feedToken = ((await calendar.clone().json()) as { token: string }).token;
      expect((await api('GET', `/api/v1/schedules/primary/calendar.ics?token=${feedToken}`)).status).toBe(200);
      expect((await api('GET', `/api/v1/schedules/nightly/calendar.ics?token=${feedToken}`)).status).toBe(404);
      expect((await api('GET', `/api/v1/people/alice/calendar.ics?token=${feedToken}`)).status).toBe(200);
      expect((await api('GET', `/api/v1/people/nobody/calendar.ics?token=${feedToken}`)).status).toBe(404);
      expect((await api('GET', `/api/v1/people/bob/calendar.ics?token=${feedToken}`)).status).toBe(403);
      expect((await api('GET', '/api/v1/me', undefined, alice2())).status).toBe(200);
      expect((await api('GET', '/api/v1/schedules/primary', undefined, alice2())).status).toBe(200);
      expect((await api('DELETE', '/api/v1/me/calendar-token', undefined, alice2())).status).toBe(204);
      expect((await api('GET', `/api/v1/people/alice/calendar.ics?token=${feedToken}`)).status).toBe(401);
      expect((await api('DELETE', '/api/v1/me/calendar-token', undefined, alice2())).status).toBe(404);
      expect((await api('POST', '/api/v1/me/calendar-token')).status).toBe(403);

      // The console: its pages and the files they load.
      for (const path of [
        '/',
        `/incidents/${orders.id}`,
        '/oncall',
        '/kpis',
        '/audit',
        '/quiet',
        '/me',
        '/console/app.js',
        '/console/console.css',
        '/console/vendor/preact.mjs',
      ]) {
        expect((await fetch(`${escalation.base}${path}`)).status, path).toBe(200);
      }
      expect((await fetch(`${escalation.base}/console/vendor/left-pad.mjs`)).status).toBe(404);

      // Ingest: accepted, refused for each reason, and the bus lost.
      const am = { authorization: `Bearer ${AM_TOKEN}`, 'content-type': 'application/json' };
      const firing = fixture('alertmanager-0.25-firing.json');
      const postIngest = (
        path: string,
        body: unknown,
        headers: Record<string, string> = { 'content-type': 'application/json' },
      ) =>
        fetch(`${ingest.base}${path}`, {
          method: 'POST',
          headers,
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      expect((await postIngest('/api/v1/alertmanager', firing, am)).status).toBe(202);
      const alerts = firing.alerts as Record<string, unknown>[];
      const oneOutOfRange = { ...firing, alerts: [...alerts, { ...alerts[0], startsAt: '9999-12-31T23:59:59-12:00' }] };
      const partly = await postIngest('/api/v1/alertmanager', oneOutOfRange, am);
      expect(partly.status).toBe(202);
      expect(await partly.json()).toMatchObject({ refused: [{ index: alerts.length }] });
      expect((await postIngest('/api/v1/alertmanager', { ...firing, version: '3' }, am)).status).toBe(400);
      expect((await postIngest('/api/v1/alertmanager', firing)).status).toBe(401);
      expect((await postIngest('/api/v1/alertmanager', { ...firing, padding: 'x'.repeat(70 * 1024) }, am)).status).toBe(
        413,
      );
      expect((await postIngest('/api/v1/alertmanager', 'firing', { ...am, 'content-type': 'text/plain' })).status).toBe(
        415,
      );
      const trigger = {
        routing_key: EVENTS_TOKEN,
        event_action: 'trigger',
        payload: { summary: 'Disk full on db1', source: 'db1', severity: 'critical' },
      };
      expect((await postIngest('/api/v1/events', trigger)).status).toBe(202);
      expect((await postIngest('/api/v1/heartbeats/nightly-backup', '', am)).status).toBe(202);
      expect((await postIngest('/api/v1/heartbeats/weekly%20backup', '', am)).status).toBe(400);
      expect((await postIngest('/api/v1/heartbeats/nightly-backup', '')).status).toBe(401);
      expect((await postIngest('/api/v1/events', { ...trigger, event_action: 'explode' })).status).toBe(400);
      expect((await postIngest('/api/v1/events', { ...trigger, routing_key: 'not-a-known-key-0000' })).status).toBe(
        401,
      );
      await ingest.bus.close();
      expect((await postIngest('/api/v1/events', trigger)).status).toBe(503);
      expect((await fetch(`${ingest.base}/ready`)).status).toBe(503);

      // Chat and outgoing webhooks: Slack's signed requests and refused ones, a webhook's state and its replay.
      const fromSlack = async (path: string, fields: Record<string, string>, signed = true) => {
        const body = new URLSearchParams(fields).toString();
        const at = Math.floor(escalation.clock.now().getTime() / 1000);
        const response = await fetch(`${escalation.base}/webhooks/slack/${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...slackSignature(signed ? slack.signingSecret : 'not-the-secret', at, body),
          },
          body,
        });
        await escalation.service.drained();
        return response.status;
      };
      const click = {
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: 'UALICE001' },
          channel: { id: 'C0INCIDENTS' },
          actions: [{ value: `escalate:${orders.id}` }],
        }),
      };
      expect(await fromSlack('interactions', click)).toBe(200);
      expect(await fromSlack('interactions', click, false)).toBe(403);
      expect(await fromSlack('commands', { command: '/klaxon', text: 'oncall', user_id: 'UALICE001' })).toBe(200);
      expect(await fromSlack('commands', { command: '/klaxon', text: 'help', user_id: 'UALICE001' }, false)).toBe(403);
      expect((await api('GET', '/api/v1/webhooks')).status).toBe(200);
      expect((await api('POST', '/api/v1/webhooks/tickets/replay', { from: '2026-11-23T00:00:00Z' })).status).toBe(202);
      expect((await api('POST', '/api/v1/webhooks/tickets/replay', { from: 'yesterday' })).status).toBe(400);
      expect((await api('POST', '/api/v1/webhooks/nobody/replay', { from: '2026-11-23T00:00:00Z' })).status).toBe(404);

      // Escalation's KPI pass-through with projection gone.
      await projection.service.stop();
      expect((await api('GET', '/api/v1/kpis')).status).toBe(502);

      const checked = exchanges.map(problemsWith);
      expect(checked.flatMap((c) => c.problems)).toEqual([]);
      const reached = new Set(checked.map((c) => c.operation && describeOperation(c.operation)));
      expect(operations.map(describeOperation).filter((o) => !reached.has(o))).toEqual([]);
      expect(exchanges.filter((e) => e.contentType.startsWith('application/json')).length).toBeGreaterThan(40);
    },
  );
});
