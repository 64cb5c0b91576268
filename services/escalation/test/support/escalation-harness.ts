import twilio from 'twilio';
import pino from 'pino';
import { ALERTS_TOPIC, openEmbeddedBus, type Bus } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import type { AlertReceived, Channel } from '@klaxon/domain';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import {
  startFakeNtfy,
  startFakeTwilio,
  startSmtpSink,
  tempDir,
  VirtualClock,
  type FakeNtfy,
  type FakeTwilio,
  type SmtpSink,
  type TempDir,
} from '@klaxon/testing';
import { createEscalationService, type EscalationService } from '../../src/index.ts';
import { emailNotifier } from '../../src/paging/email-notifier.ts';
import type { Notifier } from '../../src/paging/notifier.ts';
import { ntfyNotifier } from '../../src/paging/ntfy-notifier.ts';
import { twilioClient } from '../../src/paging/twilio-client.ts';
import { twilioSmsNotifier } from '../../src/paging/twilio-sms-notifier.ts';
import { twilioVoiceNotifier } from '../../src/paging/twilio-voice-notifier.ts';
import { API_TOKEN, testConfig } from './test-config.ts';

export const TWILIO_FROM = '+15559990000';
export const PUBLIC_URL = 'https://klaxon.example.com';
export const LINK_SECRET = 'test-link-secret-0123456789';

export interface Providers {
  twilio: FakeTwilio;
  smtp: SmtpSink;
  ntfy: FakeNtfy;
  close(): Promise<void>;
}

export async function startProviders(): Promise<Providers> {
  const [twilio, smtp, ntfy] = await Promise.all([startFakeTwilio(), startSmtpSink(), startFakeNtfy()]);
  return {
    twilio,
    smtp,
    ntfy,
    close: async () => void (await Promise.all([twilio.close(), smtp.close(), ntfy.close()])),
  };
}

export interface Harness {
  clock: VirtualClock;
  service: EscalationService;
  store: EventStore;
  bus: Bus;
  providers: Providers;
  base: string;
  dir: TempDir;
  /** Puts an alert on the bus as ingest would, and waits until escalation has handled it. */
  alert(
    labels: Record<string, string>,
    options?: {
      status?: AlertReceived['status'];
      groupKey?: string;
      fingerprint?: string;
      summary?: string;
      startsAt?: string;
      /** The integration whose token sent it (default `alertmanager`). */
      integration?: string;
    },
  ): Promise<void>;
  /** Moves virtual time to `to`, firing every timer at its exact due time on the way. */
  advanceTo(to: string): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Stops the service and the stores (as a crash or a deploy would), keeping the data dir. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startEscalation(
  options: {
    start?: string;
    dir?: TempDir;
    providers?: Providers;
    config?: KlaxonConfig;
    clock?: VirtualClock;
    consumerGroup?: string;
    owns?: (incidentId: string) => boolean;
    /** Writes the incident index to `index.snapshot.json` in the data dir, and starts from it. */
    snapshot?: boolean;
    /** Sees the store as the service uses it. */
    wrapStore?: (store: EventStore) => EventStore;
    /** Where the service logs; silent unless TEST_LOG_LEVEL says otherwise. */
    logger?: pino.Logger;
    consumerStallMs?: number;
    /** Where projection answers: mounts the KPI pass-through, as a deployment always does. */
    projectionUrl?: string;
    /** The file `config` came from, read again on a reload. */
    configFile?: string;
    /** Other notifiers than Twilio and SMTP each alone (several providers in failover, push). */
    notifiers?: (providers: Providers) => Record<Channel, Notifier>;
    /** Vonage's webhook signing secret (a call's keypress). */
    vonageSignatureSecret?: string;
  } = {},
): Promise<Harness> {
  const dir = options.dir ?? tempDir('klaxon-escalation-');
  const providers = options.providers ?? (await startProviders());
  const clock = options.clock ?? new VirtualClock(options.start ?? '2026-11-23T10:00:00Z');
  const store = openSqliteEventStore(dir.file('events.db'), { pollMs: 10 });
  const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
  const client = twilioClient({
    accountSid: providers.twilio.accountSid,
    authToken: providers.twilio.authToken,
    from: TWILIO_FROM,
    apiUrl: providers.twilio.url,
  });
  const email = emailNotifier(providers.smtp.url, 'Klaxon <klaxon@example.com>');
  const service = await createEscalationService({
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    store: options.wrapStore?.(store) ?? store,
    bus,
    config: options.config ?? testConfig(),
    notifiers: options.notifiers?.(providers) ?? {
      sms: twilioSmsNotifier(client, TWILIO_FROM),
      voice: twilioVoiceNotifier(client, TWILIO_FROM, PUBLIC_URL),
      email,
      push: ntfyNotifier(),
    },
    publicUrl: PUBLIC_URL,
    linkSecret: LINK_SECRET,
    twilioAuthToken: providers.twilio.authToken,
    vonageSignatureSecret: options.vonageSignatureSecret,
    clock,
    runTimerLoop: false,
    consumerGroup: options.consumerGroup,
    owns: options.owns,
    consumerStallMs: options.consumerStallMs,
    projectionUrl: options.projectionUrl,
    configFile: options.configFile,
    ...(options.snapshot ? { snapshotPath: dir.file('index.snapshot.json') } : {}),
  });
  await service.start();
  const base = await service.http.listen(0, '127.0.0.1');
  const processed = async () => {
    const metric = await service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };

  const harness: Harness = {
    clock,
    service,
    store,
    bus,
    providers,
    base,
    dir,
    async alert(labels, o = {}) {
      const before = await processed();
      const at = clock.now().toISOString();
      const alert: AlertReceived = {
        type: 'AlertReceived',
        version: 1,
        source: o.integration && o.integration !== 'alertmanager' ? 'events-api' : 'alertmanager',
        integration: o.integration ?? 'alertmanager',
        fingerprint: o.fingerprint ?? `fp-${labels.alertname}`,
        groupKey: o.groupKey ?? `{}:{alertname="${labels.alertname}"}`,
        status: o.status ?? 'firing',
        labels,
        annotations: { summary: o.summary ?? `${labels.alertname} is firing` },
        startsAt: o.startsAt ?? at,
        receivedAt: at,
      };
      await bus.publish(ALERTS_TOPIC, [{ key: alert.groupKey, value: alert }]);
      const deadline = Date.now() + 10_000;
      while ((await processed()) === before) {
        if (Date.now() > deadline) throw new Error('escalation did not process the alert');
        await new Promise((r) => setTimeout(r, 5));
      }
      await service.drained();
    },
    async advanceTo(to) {
      const target = new Date(to).getTime();
      for (;;) {
        await service.drained();
        const next = service.timers.nextDueAt();
        if (next === undefined || next > target) break;
        if (next > clock.now().getTime()) clock.set(next);
        await service.timers.runDue();
      }
      clock.set(target);
      await service.drained();
    },
    async api(method, path, body) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      const json = text === '' ? null : JSON.parse(text);
      await service.drained();
      return { status: response.status, json };
    },
    async stop() {
      await service.stop();
      email.close();
      await bus.close();
      await store.close();
    },
    async close() {
      await harness.stop().catch(() => undefined);
      if (!options.providers) await providers.close();
      if (!options.dir) dir.remove();
    },
  };
  return harness;
}

/** An SMS reply from `from`, signed as Twilio signs it, posted to the inbound webhook; the TwiML answer's text. */
export async function signedSmsReply(h: Harness, from: string, body: string): Promise<string> {
  const params = { From: from, To: TWILIO_FROM, Body: body, MessageSid: `SM${Math.random().toString(16).slice(2)}` };
  const signature = twilio.getExpectedTwilioSignature(
    h.providers.twilio.authToken,
    `${PUBLIC_URL}/webhooks/twilio/sms`,
    params,
  );
  const response = await fetch(`${h.base}/webhooks/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  return response.text();
}
