import type { KlaxonConfig } from '@klaxon/config';
import type { EventStore } from '@klaxon/event-store';
import { systemClock, type Clock, type Logger } from '@klaxon/service-kit';
import { Counter, type Registry } from 'prom-client';
import { WebhookDeliverer } from './webhook-deliverer.ts';
import { webhookSender } from './webhook-sender.ts';

export interface WebhooksDeps {
  webhooks: KlaxonConfig['webhooks'];
  store: EventStore;
  clock: Clock;
  /** Dates the signatures; the wall clock unless a test says otherwise. */
  wallClock?: Clock;
  logger: Logger;
  publicUrl: string;
  registry: Registry;
  pollMs?: number;
}

export interface Webhooks {
  get(name: string): WebhookDeliverer | undefined;
  /** Reads where each got to; a webhook new to the store starts from the present. */
  prepare(): Promise<void>;
  all(): WebhookDeliverer[];
  start(): void;
  stop(): Promise<void>;
  /** Delivers everything due now on every webhook (tests on a virtual clock). */
  drain(): Promise<void>;
}

/** The outgoing webhooks of `klaxon.yaml`, each delivered by its own follower of the store. */
export function webhooks(deps: WebhooksDeps): Webhooks {
  const deliveries = new Counter({
    name: 'klaxon_webhook_deliveries_total',
    help: 'Webhook delivery attempts by webhook and outcome (delivered, failed).',
    labelNames: ['webhook', 'outcome'] as const,
    registers: [deps.registry],
  });
  const deadLetters = new Counter({
    name: 'klaxon_webhook_dead_letters_total',
    help: 'Webhook messages given up after the receiver took nothing for a day, by webhook.',
    labelNames: ['webhook'] as const,
    registers: [deps.registry],
  });
  const wallClock = deps.wallClock ?? systemClock;
  const deliverers = new Map(
    deps.webhooks.map((w) => [
      w.name,
      new WebhookDeliverer({
        name: w.name,
        events: w.events,
        store: deps.store,
        send: webhookSender(w.url, w.secret, () => wallClock.now()),
        clock: deps.clock,
        logger: deps.logger.child({ component: 'webhooks' }),
        publicUrl: deps.publicUrl,
        deliveries,
        deadLetters,
        pollMs: deps.pollMs,
      }),
    ]),
  );
  return {
    get: (name) => deliverers.get(name),
    all: () => [...deliverers.values()],
    prepare: async () => void (await Promise.all([...deliverers.values()].map((d) => d.prepare()))),
    start: () => deliverers.forEach((d) => d.start()),
    stop: async () => void (await Promise.all([...deliverers.values()].map((d) => d.stop()))),
    drain: async () => void (await Promise.all([...deliverers.values()].map((d) => d.drain()))),
  };
}
