import type { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { SEVERITIES, toInstant, type Severity } from '@klaxon/domain';
import { requireRole, type Authenticator } from '@klaxon/people';
import { problemsOf, type Clock } from '@klaxon/service-kit';
import { kpiCsv } from '../kpis/kpi-csv.ts';
import { kpiReport, type SlaTargets } from '../kpis/kpi-calculator.ts';
import { responderLoad } from '../kpis/responder-load.ts';
import { incidentsOpened, pagesRequested, respondersOf } from '../read-model/queries.ts';
import { LIVE } from '../read-model/schema.ts';
import type { SqlDatabase } from '../read-model/sql-database.ts';

const isoInstant = z.string().transform((text, ctx) => {
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  if (!parsed.isValid) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not an ISO-8601 date or date-time` });
    return z.NEVER;
  }
  return toInstant(parsed);
});

const filters = z
  .object({
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    severity: z.enum(SEVERITIES).optional(),
    service: z.string().min(1).optional(),
  })
  .strict();
const fromBeforeTo = { message: 'from must be before to', path: ['to'] };
const kpiQuery = filters
  .extend({ bucket: z.enum(['day', 'week', 'month']).optional() })
  .refine((q) => !q.from || !q.to || q.from < q.to, fromBeforeTo);
/** Pages in [from, to) of incidents with the given (current) severity and service. */
const respondersQuery = filters.refine((q) => !q.from || !q.to || q.from < q.to, fromBeforeTo);

export interface KpiRouteDeps {
  db: SqlDatabase;
  /** Read at each request: a reload changes them. */
  targets: () => Record<Severity, SlaTargets>;
  timezones: () => Record<string, string>;
  auth: Authenticator;
  clock: Clock;
}

export function kpiRoutes(routes: Router, deps: KpiRouteDeps): void {
  const auth = requireRole(deps.auth, 'viewer');

  routes.get('/api/v1/kpis', auth, async (req, res) => {
    const query = kpiQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const rows = await incidentsOpened(deps.db, LIVE, query.data);
    let report;
    try {
      report = kpiReport(rows, { ...query.data, targets: deps.targets(), asOf: deps.clock.now() });
    } catch (error) {
      if (error instanceof RangeError)
        return void res
          .status(400)
          .json({ error: error.message, problems: [{ path: 'bucket', message: error.message }] });
      throw error;
    }
    if (/\btext\/csv\b/.test(req.headers.accept ?? ''))
      return void res.type('text/csv; charset=utf-8').send(kpiCsv(report));
    res.json(report);
  });

  routes.get('/api/v1/kpis/responders', auth, async (req, res) => {
    const query = respondersQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const pages = await pagesRequested(deps.db, LIVE, query.data);
    const credited = {
      acknowledgedBy: await respondersOf(deps.db, LIVE, query.data, 'acknowledged'),
      resolvedBy: await respondersOf(deps.db, LIVE, query.data, 'resolved'),
    };
    res.json({
      from: query.data.from ?? null,
      to: query.data.to ?? null,
      responders: responderLoad(pages, deps.timezones(), credited),
    });
  });
}
