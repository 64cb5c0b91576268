import { Counter, Gauge, type Registry } from 'prom-client';
import type { Channel } from '@klaxon/domain';
import type { IncidentIndex } from './state/incident-index.ts';

export function escalationMetrics(
  registry: Registry,
  /** The index, once it exists: the metrics are made before the engine that counts into them. */
  index: () => IncidentIndex,
  pagesHeld: () => Partial<Record<Channel, number>>,
) {
  return {
    pagesSent: new Counter({
      name: 'klaxon_pages_sent_total',
      help: 'Page attempts by channel and outcome (delivered, retrying, failed).',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    pagesWithheld: new Counter({
      name: 'klaxon_pages_withheld_total',
      help: 'Pages not sent, by reason: not-owned (their incident moved to another instance, which sends them), outcome-recorded (read again just before sending, the page had its outcome already).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    pageOutcomesRefused: new Counter({
      name: 'klaxon_page_outcomes_refused_total',
      help: "Page outcomes the incident refused to record, by the refusal's code (PageOutcomeRecorded: the page went out from two instances).",
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    escalations: new Counter({
      name: 'klaxon_escalations_total',
      help: 'Escalations by reason (timeout, rule, manual).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    heartbeatUnknownBeats: new Counter({
      name: 'klaxon_heartbeat_unknown_beats_total',
      help: 'Beats of a heartbeat no monitor has, dropped (ingest takes any well-formed name). No name label: anyone with an integration token could make its values endless; the name is in the warning logged.',
      registers: [registry],
    }),
    alertsProcessed: new Counter({
      name: 'klaxon_alerts_processed_total',
      help: 'Alerts taken from the bus, by result: applied (each alert of a record), or dead-lettered (a whole record moved to the dead-letter topic: not JSON, not alerts, or its handling failed the same way every time; or one alert of a notification that cannot be handled, moved there alone while its siblings are applied).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    actsRefused: new Counter({
      name: 'klaxon_alert_acts_refused_total',
      help: "Acknowledgements and resolutions an integration sent for an incident another integration's alert opened, refused, by the integration that sent them and the act.",
      labelNames: ['integration', 'status'] as const,
      registers: [registry],
    }),
    incidentsOpened: new Counter({
      name: 'klaxon_incidents_opened_total',
      help: 'Incidents opened by severity.',
      labelNames: ['severity'] as const,
      registers: [registry],
    }),
    openIncidents: new Gauge({
      name: 'klaxon_open_incidents',
      help: 'Incidents not yet resolved, by status.',
      labelNames: ['status'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const { state } of index().unresolved()) this.inc({ status: state.status });
      },
    }),
    pagesHeld: new Gauge({
      name: 'klaxon_pages_held',
      help: "Pages waiting for their contact's throttle, to go out in the next (bundled) message, by channel.",
      labelNames: ['channel'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [channel, count] of Object.entries(pagesHeld())) this.set({ channel }, count);
      },
    }),
  };
}
