import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { SEVERITIES, toInstant, type Severity } from '@klaxon/domain';
import { bearerAuth, problemsOf, type Clock } from '@klaxon/service-kit';
import { kpiCsv } from '../kpis/kpi-csv.ts';
import { kpiReport, type SlaTargets } from '../kpis/kpi-calculator.ts';
import { responderLoad } from '../kpis/responder-load.ts';
import { incidentsOpened, pagesRequested } from '../read-model/queries.ts';
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

const kpiQuery = z
  .object({
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    severity: z.enum(SEVERITIES).optional(),
    service: z.string().min(1).optional(),
    bucket: z.enum(['day', 'week', 'month']).optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'from must be before to', path: ['to'] });


export interface KpiRouteDeps {
  db: SqlDatabase;
  targets: Record<Severity, SlaTargets>;
  timezones: Record<string, string>;
  apiTokens: string[];
  clock: Clock;
}

export function kpiRoutes(app: FastifyInstance, deps: KpiRouteDeps): void {
  const auth = bearerAuth(deps.apiTokens);

  app.get('/api/v1/kpis', { onRequest: auth }, async (request, reply) => {
    const query = kpiQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'invalid query', problems: problemsOf(query.error) });
    const rows = await incidentsOpened(deps.db, LIVE, query.data);
    let report;
    try {
      report = kpiReport(rows, { ...query.data, targets: deps.targets, asOf: deps.clock.now() });
    } catch (error) {
      if (error instanceof RangeError) return reply.code(400).send({ error: error.message, problems: [{ path: 'bucket', message: error.message }] });
      throw error;
    }
    if (/\btext\/csv\b/.test(request.headers.accept ?? '')) return reply.type('text/csv; charset=utf-8').send(kpiCsv(report));
    return report;
  });

  app.get('/api/v1/kpis/responders', { onRequest: auth }, async (request, reply) => {
    const query = kpiQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'invalid query', problems: problemsOf(query.error) });
    const pages = await pagesRequested(deps.db, LIVE, query.data);
    return { from: query.data.from ?? null, to: query.data.to ?? null, responders: responderLoad(pages, deps.timezones) };
  });
}
