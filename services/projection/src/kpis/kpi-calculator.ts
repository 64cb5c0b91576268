import { DateTime } from 'luxon';
import { SEVERITIES, type Severity } from '@klaxon/domain';
import type { IncidentRow } from '../read-model/queries.ts';
import { durationStats, type DurationStats } from './stats.ts';

export type Bucket = 'day' | 'week' | 'month';

export interface SlaTargets {
  responseTargetMs: number;
  resolutionTargetMs: number;
}

export interface KpiFigures {
  incidents: {
    total: number;
    open: number;
    acknowledged: number;
    resolved: number;
    bySeverity: Record<Severity, number>;
  };
  mttd: DurationStats;
  mtta: DurationStats;
  mttr: DurationStats;
  /** Share of incidents that reached L2 or above. */
  escalationRate: number | null;
  pagesPerIncident: number | null;
  /** Per severity, the share of incidents whose outcome is known that met the target; null when none is known yet. */
  sla: Record<
    Severity,
    {
      responseMet: number | null;
      resolutionMet: number | null;
      responseTargetSeconds: number;
      resolutionTargetSeconds: number;
    }
  >;
}

export interface KpiReport extends KpiFigures {
  from: string | null;
  to: string | null;
  asOf: string;
  buckets: Array<{ start: string } & KpiFigures>;
}

const ms = (iso: string) => Date.parse(iso);
const share = (met: number, of: number) => (of === 0 ? null : Math.round((met / of) * 10_000) / 10_000);

/**
 * The KPIs of a set of incidents. MTTD = opened − alert start, MTTA = first acknowledgement − opened,
 * MTTR = resolved − opened. An SLA counts an incident once its outcome is known: answered (or not)
 * within the target, or the target has passed unanswered as of `asOf`.
 */
export function figures(rows: IncidentRow[], targets: Record<Severity, SlaTargets>, asOf: Date): KpiFigures {
  const now = asOf.getTime();
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of rows) bySeverity[r.severity]++;
  const sla = Object.fromEntries(
    SEVERITIES.map((severity) => {
      const { responseTargetMs, resolutionTargetMs } = targets[severity];
      const of = rows.filter((r) => r.severity === severity);
      const judged = (at: (r: IncidentRow) => string | null, target: number) => {
        const known = of.filter((r) => at(r) !== null || ms(r.opened_at) + target <= now);
        const met = known.filter((r) => at(r) !== null && ms(at(r)!) - ms(r.opened_at) <= target);
        return share(met.length, known.length);
      };
      return [
        severity,
        {
          responseMet: judged((r) => r.first_ack_at, responseTargetMs),
          resolutionMet: judged((r) => r.resolved_at, resolutionTargetMs),
          responseTargetSeconds: responseTargetMs / 1000,
          resolutionTargetSeconds: resolutionTargetMs / 1000,
        },
      ];
    }),
  ) as KpiFigures['sla'];
  const seconds = (from: (r: IncidentRow) => string | null, to: (r: IncidentRow) => string | null) =>
    rows.filter((r) => from(r) && to(r)).map((r) => (ms(to(r)!) - ms(from(r)!)) / 1000);
  return {
    incidents: {
      total: rows.length,
      open: rows.filter((r) => r.status === 'open').length,
      acknowledged: rows.filter((r) => r.status === 'acknowledged').length,
      resolved: rows.filter((r) => r.status === 'resolved').length,
      bySeverity,
    },
    mttd: durationStats(
      seconds(
        (r) => r.alert_starts_at,
        (r) => r.opened_at,
      ),
    ),
    mtta: durationStats(
      seconds(
        (r) => r.opened_at,
        (r) => r.first_ack_at,
      ),
    ),
    mttr: durationStats(
      seconds(
        (r) => r.opened_at,
        (r) => r.resolved_at,
      ),
    ),
    escalationRate: share(rows.filter((r) => r.highest_level >= 2).length, rows.length),
    pagesPerIncident: rows.length
      ? Math.round((rows.reduce((s, r) => s + r.pages, 0) / rows.length) * 1000) / 1000
      : null,
    sla,
  };
}

export const MAX_BUCKETS = 2000;

export function bucketStarts(from: DateTime, to: DateTime, bucket: Bucket): DateTime[] {
  const starts: DateTime[] = [];
  for (let start = from.toUTC().startOf(bucket); start < to; start = start.plus({ [`${bucket}s`]: 1 })) {
    starts.push(start);
    if (starts.length > MAX_BUCKETS)
      throw new RangeError(`more than ${MAX_BUCKETS} ${bucket} buckets: narrow from/to or use a larger bucket`);
  }
  return starts;
}

export function kpiReport(
  rows: IncidentRow[],
  options: { from?: string; to?: string; bucket?: Bucket; targets: Record<Severity, SlaTargets>; asOf: Date },
): KpiReport {
  const report: KpiReport = {
    from: options.from ?? null,
    to: options.to ?? null,
    asOf: options.asOf.toISOString(),
    ...figures(rows, options.targets, options.asOf),
    buckets: [],
  };
  const firstAt = options.from ?? rows[0]?.opened_at;
  if (!options.bucket || firstAt === undefined) return report;
  const first = DateTime.fromISO(firstAt, { zone: 'utc' });
  // Without `to`, buckets run up to now: an empty recent day shows as zero, not as missing.
  const asOf = DateTime.fromJSDate(options.asOf, { zone: 'utc' });
  const end = options.to
    ? DateTime.fromISO(options.to, { zone: 'utc' })
    : asOf > first
      ? asOf
      : first.plus({ milliseconds: 1 });
  const bucket = options.bucket;
  const grouped = new Map<string, IncidentRow[]>();
  for (const r of rows) {
    const key = DateTime.fromISO(r.opened_at, { zone: 'utc' }).startOf(bucket).toISO()!;
    grouped.set(key, [...(grouped.get(key) ?? []), r]);
  }
  report.buckets = bucketStarts(first, end, bucket).map((start) => {
    const key = start.toISO()!;
    return { start: key, ...figures(grouped.get(key) ?? [], options.targets, options.asOf) };
  });
  return report;
}
