import type { Tables } from './schema.ts';
import type { SqlTx, SqlValue } from './sql-database.ts';

export interface IncidentRow {
  incident_id: string;
  number: number;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  service: string;
  policy: string;
  status: 'open' | 'acknowledged' | 'resolved';
  alert_starts_at: string;
  opened_at: string;
  first_ack_at: string | null;
  resolved_at: string | null;
  highest_level: number;
  pages: number;
}

export interface PageRow {
  incident_id: string;
  contact: string;
  channel: string;
  purpose: string;
  requested_at: string;
  outcome: string;
}

export interface KpiFilter {
  from?: string;
  to?: string;
  severity?: string;
  service?: string;
}

const where = (column: string, f: KpiFilter, incidentFilter: (clause: string) => string) => {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  const add = (clause: string, value: string) => {
    clauses.push(clause);
    params.push(value);
  };
  if (f.from) add(`${column} >= ?`, f.from);
  if (f.to) add(`${column} < ?`, f.to);
  if (f.severity) add(incidentFilter('severity = ?'), f.severity);
  if (f.service) add(incidentFilter('service = ?'), f.service);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
};

/** Incidents opened in [from, to). Timestamps compare as ISO strings in SQLite and as timestamps in PostgreSQL. */
export async function incidentsOpened(db: SqlTx, t: Tables, f: KpiFilter): Promise<IncidentRow[]> {
  const w = where('opened_at', f, (clause) => clause);
  const rows = await db.all(
    `SELECT incident_id, number, severity, service, policy, status, alert_starts_at, opened_at, first_ack_at, resolved_at, highest_level, pages
     FROM ${t.incidents} ${w.sql} ORDER BY opened_at`,
    w.params,
  );
  return rows.map(
    (r) =>
      ({
        ...r,
        number: Number(r.number),
        highest_level: Number(r.highest_level),
        pages: Number(r.pages),
      }) as IncidentRow,
  );
}

/** Pages requested in [from, to); severity and service are those of the page's incident. */
export async function pagesRequested(db: SqlTx, t: Tables, f: KpiFilter): Promise<PageRow[]> {
  const w = where(
    'requested_at',
    f,
    (clause) => `incident_id IN (SELECT incident_id FROM ${t.incidents} WHERE ${clause})`,
  );
  return (await db.all(
    `SELECT incident_id, contact, channel, purpose, requested_at, outcome FROM ${t.pages} ${w.sql} ORDER BY requested_at`,
    w.params,
  )) as unknown as PageRow[];
}

/**
 * The person credited with each incident's first acknowledgement (or its resolution) in [from, to): the
 * authenticated person, or whom an admin acted for, never a service token on its own (see `participantOf`).
 */
export async function respondersOf(
  db: SqlTx,
  t: Tables,
  f: KpiFilter,
  act: 'acknowledged' | 'resolved',
): Promise<string[]> {
  const [person, at] = act === 'acknowledged' ? ['acknowledged_by', 'first_ack_at'] : ['resolved_by', 'resolved_at'];
  const w = where(at, f, (clause) => clause);
  const rows = await db.all(
    `SELECT ${person} AS person FROM ${t.incidents} ${w.sql ? `${w.sql} AND` : 'WHERE'} ${person} IS NOT NULL`,
    w.params,
  );
  return rows.map((r) => String(r.person));
}
