import { Counter, Histogram, type Registry } from 'prom-client';

export type RejectReason = 'unauthorized' | 'invalid' | 'too_large' | 'unsupported_media_type' | 'bus_unavailable';

export function ingestMetrics(registry: Registry) {
  return {
    received: new Counter({
      name: 'klaxon_alerts_received_total',
      help: 'Alerts accepted onto the bus, by integration and status.',
      labelNames: ['integration', 'status'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'klaxon_ingest_rejected_total',
      help: 'Requests refused, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    textReplaced: new Counter({
      name: 'klaxon_ingest_text_replaced_total',
      help: 'Strings of accepted alerts (labels, annotations, keys) in which a NUL or a lone surrogate, which no store can keep, was replaced by U+FFFD.',
      labelNames: ['integration'] as const,
      registers: [registry],
    }),
    alertsRefused: new Counter({
      name: 'klaxon_ingest_alerts_refused_total',
      help: 'Alerts refused alone, their siblings in the same request taken, by reason (instant_out_of_range, too_large).',
      labelNames: ['integration', 'reason'] as const,
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'klaxon_bus_publish_seconds',
      help: 'Time for the bus to durably accept one request worth of alerts.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
