import { SEVERITIES } from '@klaxon/domain';
import type { KpiFigures, KpiReport } from './kpi-calculator.ts';

const COLUMNS: Array<[string, (f: KpiFigures) => number | null]> = [
  ['incidents_total', (f) => f.incidents.total],
  ['incidents_open', (f) => f.incidents.open],
  ['incidents_acknowledged', (f) => f.incidents.acknowledged],
  ['incidents_resolved', (f) => f.incidents.resolved],
  ...SEVERITIES.map((s): [string, (f: KpiFigures) => number] => [`incidents_${s}`, (f) => f.incidents.bySeverity[s]]),
  ...(['mttd', 'mtta', 'mttr'] as const).flatMap((k): Array<[string, (f: KpiFigures) => number | null]> => [
    [`${k}_mean_seconds`, (f) => f[k].meanSeconds],
    [`${k}_p50_seconds`, (f) => f[k].p50Seconds],
    [`${k}_p90_seconds`, (f) => f[k].p90Seconds],
  ]),
  ['escalation_rate', (f) => f.escalationRate],
  ['pages_per_incident', (f) => f.pagesPerIncident],
  ...SEVERITIES.flatMap((s): Array<[string, (f: KpiFigures) => number | null]> => [
    [`sla_${s}_response_met`, (f) => f.sla[s].responseMet],
    [`sla_${s}_resolution_met`, (f) => f.sla[s].resolutionMet],
  ]),
];

/** The same figures as the JSON, one row per bucket (or one row for the whole range without `bucket`). */
export function kpiCsv(report: KpiReport): string {
  const rows = report.buckets.length ? report.buckets : [{ start: report.from ?? '', ...report }];
  const header = ['start', ...COLUMNS.map(([name]) => name)].join(',');
  const lines = rows.map((r) => [r.start, ...COLUMNS.map(([, value]) => value(r) ?? '')].join(','));
  return `${[header, ...lines].join('\n')}\n`;
}
