import { afterEach, describe, expect, it } from 'vitest';
import {
  createProjectionService,
  ProjectionRunner,
  rebuildReadModels,
  type SqlDatabase,
  type SqlTx,
} from '../../src/index.ts';
import { MIGRATIONS } from '../../src/read-model/migrations.ts';
import { LIVE, REBUILD, secondaryIndexes } from '../../src/read-model/schema.ts';
import { appendScenario, EXPECTED } from '../support/kpi-scenario.ts';
import { projectionConfig, startProjection, type Json, type ProjectionHarness } from '../support/projection-harness.ts';
import pino from 'pino';

/** A database whose transactions fail after `statements` statements, as a crash mid-batch would leave it. */
function crashingAfter(db: SqlDatabase, statements: number): SqlDatabase {
  let left = statements;
  const wrap = (tx: SqlTx): SqlTx => ({
    run: async (sql, params) => {
      if (left-- <= 0) throw new Error('crash mid-batch');
      return tx.run(sql, params);
    },
    all: (sql, params) => tx.all(sql, params),
  });
  return { ...db, ...wrap(db), transaction: (work) => db.transaction((tx) => work(wrap(tx))) };
}

const kpisOf = async (h: ProjectionHarness, query = ''): Promise<Json> => (await h.get(`/api/v1/kpis${query}`)).json();

/** Every read-model database must pass this suite unchanged. */
export function readModelContract(name: string, openDb: () => Promise<SqlDatabase>): void {
  describe(`read models on ${name}`, () => {
    let h: ProjectionHarness;
    afterEach(async () => h?.close());

    it('a schema migrated once: three more starts and a rebuild leave the same indexes and versions', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      const indexes = await secondaryIndexes(h.db, LIVE, h.db.dialect);
      expect(indexes).toEqual(['incidents_opened_at', 'pages_contact_requested_at']);
      const versions = async () =>
        (await h.db.all('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
      expect(await versions()).toEqual(MIGRATIONS.map((m) => m.version));
      for (let start = 0; start < 3; start++) {
        const again = await createProjectionService({
          logger: pino({ level: 'silent' }),
          store: h.store,
          db: h.db,
          config: projectionConfig(),
        });
        await again.stop();
      }
      expect(await secondaryIndexes(h.db, LIVE, h.db.dialect)).toEqual(indexes);
      await rebuildReadModels(h.store, h.db);
      expect(await secondaryIndexes(h.db, LIVE, h.db.dialect)).toEqual(indexes);
      expect(await secondaryIndexes(h.db, REBUILD, h.db.dialect)).toEqual([]);
      await rebuildReadModels(h.store, h.db);
      expect(await secondaryIndexes(h.db, LIVE, h.db.dialect)).toEqual(indexes);
      expect(await versions()).toEqual(MIGRATIONS.map((m) => m.version));
      expect((await kpisOf(h)).incidents.total).toBe(EXPECTED.incidents.total);
    });

    it('a scripted scenario with known timings gives exactly the expected KPIs', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      const report = await kpisOf(h);
      expect(report).toMatchObject({
        from: null,
        to: null,
        asOf: '2026-11-24T12:00:00.000Z',
        ...EXPECTED,
        buckets: [],
      });
    });

    it('filters by time, severity and service, and buckets by day with the same figures per bucket', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      expect((await kpisOf(h, '?severity=P1')).incidents).toMatchObject({ total: 2, bySeverity: { P1: 2 } });
      expect((await kpisOf(h, '?service=payments')).incidents.total).toBe(1);
      expect((await kpisOf(h, '?from=2026-11-24T00:00:00Z')).incidents.total).toBe(1);
      expect((await kpisOf(h, '?to=2026-11-23T10:01:00Z')).mttd).toEqual({
        count: 1,
        meanSeconds: 120,
        p50Seconds: 120,
        p90Seconds: 120,
      });
      const daily = await kpisOf(h, '?bucket=day&from=2026-11-22&to=2026-11-25');
      expect(
        daily.buckets.map((b: { start: string; incidents: { total: number } }) => [b.start, b.incidents.total]),
      ).toEqual([
        ['2026-11-22T00:00:00.000Z', 0],
        ['2026-11-23T00:00:00.000Z', 3],
        ['2026-11-24T00:00:00.000Z', 1],
      ]);
      expect(daily.buckets[1].mttr).toEqual({ count: 2, meanSeconds: 4800, p50Seconds: 4800, p90Seconds: 6720 });
      const weekly = await kpisOf(h, '?bucket=week');
      expect(weekly.buckets.map((b: { start: string }) => b.start)).toEqual(['2026-11-23T00:00:00.000Z']);
    });

    it('gives the same figures as CSV, one row per bucket', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      const csv = await (await h.get('/api/v1/kpis?bucket=day', { accept: 'text/csv' })).text();
      const [header, day1, day2, extra] = csv.trim().split('\n');
      expect(extra).toBeUndefined();
      const columns = header!.split(',');
      const row = (line: string) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v]));
      expect(row(day1!)).toMatchObject({
        start: '2026-11-23T00:00:00.000Z',
        incidents_total: '3',
        incidents_P1: '2',
        mttr_mean_seconds: '4800',
        escalation_rate: '0.3333',
        sla_P2_response_met: '0',
      });
      expect(row(day2!)).toMatchObject({
        start: '2026-11-24T00:00:00.000Z',
        incidents_total: '1',
        mtta_p50_seconds: '1800',
        sla_P1_response_met: '',
      });
    });

    it('reports responder load: pages per contact and night pages in their own time zone', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      const { responders } = (await (await h.get('/api/v1/kpis/responders')).json()) as Json;
      // Credit follows the authenticated actor (see kpi-scenario.ts): the admin ada acted for tom, so tom
      // has B's acknowledgement and ada none; D's resolution by a service token is no one's.
      const answered = { acknowledged: 1, resolved: 1 };
      expect(responders).toEqual([
        {
          contact: 'alice',
          timezone: 'Europe/Berlin',
          pages: 3,
          nightPages: 1,
          byChannel: { sms: 3 },
          failed: 0,
          ...answered,
        },
        {
          contact: 'bob',
          timezone: 'America/New_York',
          pages: 1,
          nightPages: 1,
          byChannel: { email: 1 },
          failed: 0,
          acknowledged: 1,
          resolved: 0,
        },
        { contact: 'tom', timezone: 'UTC', pages: 1, nightPages: 0, byChannel: { voice: 1 }, failed: 0, ...answered },
      ]);
      const of = async (query: string) =>
        ((await (await h.get(`/api/v1/kpis/responders${query}`)).json()) as Json).responders;
      expect(await of('?service=payments')).toEqual([
        {
          contact: 'alice',
          timezone: 'Europe/Berlin',
          pages: 1,
          nightPages: 1,
          byChannel: { sms: 1 },
          failed: 0,
          acknowledged: 0,
          resolved: 0,
        },
      ]);
      // An acknowledgement counts in the window of its time: on the 24th, only bob's.
      expect(
        (await of('?from=2026-11-24T00:00:00Z')).map((r: Json) => [r.contact, r.pages, r.acknowledged, r.resolved]),
      ).toEqual([['bob', 1, 1, 0]]);
      expect((await of('?severity=P1')).map((r: Json) => [r.contact, r.pages])).toEqual([
        ['alice', 2],
        ['tom', 1],
      ]);
      expect(await of('?severity=P3&service=orders')).toMatchObject([{ contact: 'bob', pages: 1 }]);
      expect((await h.get('/api/v1/kpis/responders?bucket=day')).status).toBe(400);
    });

    it('a crash mid-batch, then a restart, gives the same figures as an uninterrupted run', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      // A batch is 3 statements (incidents, pages, checkpoint): 1 crashes inside the first batch,
      // 4 inside the second after the first committed.
      for (const statements of [0, 1, 4]) {
        const crashing = new ProjectionRunner(
          h.store,
          crashingAfter(h.db, statements),
          LIVE,
          pino({ level: 'silent' }),
          { batchSize: 6 },
        );
        await expect(crashing.catchUp()).rejects.toThrow('crash mid-batch');
      }
      // A batch that committed before the crash stays; the one in flight rolled back whole.
      await new ProjectionRunner(h.store, crashingAfter(h.db, 1000), LIVE, pino({ level: 'silent' }), {
        batchSize: 6,
      }).step();
      await h.service.runner.catchUp();
      expect(await kpisOf(h)).toMatchObject(EXPECTED);
    });

    it('an event the read models cannot take is quarantined with its position, type and reason, counted, and the projection goes on', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      const [template] = await h.store.readStream('incident-a');
      const opening = (id: string, number: number, changes: object) => ({
        type: 'IncidentOpened',
        data: { ...(template!.data as object), incidentId: id, number, groupKey: `g-${id}`, ...changes },
      });
      // A shape no read model takes, then text and an instant some databases refuse, then a good incident.
      await h.store.append('incident-shapeless', [{ type: 'IncidentOpened', data: { incidentId: 'x' } }], 'no_stream');
      await h.store.append('incident-nul', [opening('nul', 6, { title: 'disk \u0000 full' })], 'no_stream');
      await h.store.append(
        'incident-year0',
        [opening('year0', 7, { alertStartsAt: '0000-01-01T00:00:00.000Z' })],
        'no_stream',
      );
      await h.store.append('incident-e', [opening('e', 5, {})], 'no_stream');
      const head = await h.store.headPosition();

      await h.service.runner.catchUp();
      await h.service.runner.catchUp();

      expect(await h.service.runner.checkpoint()).toBe(head);
      const rows = await h.db.all(
        'SELECT position, stream_id, event_type, reason FROM projection_quarantine ORDER BY position',
      );
      const streams = rows.map((r) => r.stream_id);
      expect(streams[0]).toBe('incident-shapeless');
      // PostgreSQL's text refuses a NUL and its TIMESTAMPTZ has no year 0; SQLite keeps both as text.
      if (h.db.dialect === 'postgres')
        expect(streams).toEqual(['incident-shapeless', 'incident-nul', 'incident-year0']);
      const positions = new Map(
        (await h.store.readAll({ limit: 100 })).map((x) => [x.streamId, x.position.toString()]),
      );
      for (const row of rows) {
        expect(String(row.position)).toBe(positions.get(String(row.stream_id)));
        expect(row.event_type).toBe('IncidentOpened');
        expect(String(row.reason)).not.toBe('');
      }
      // What was not quarantined was applied: every incident is either counted or set aside, none twice.
      const ids = (await h.db.all('SELECT incident_id FROM incidents ORDER BY incident_id')).map((r) => r.incident_id);
      for (const id of ['nul', 'year0']) expect(ids.includes(id)).toBe(!streams.includes(`incident-${id}`));
      expect(ids).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd', 'e']));
      expect((await kpisOf(h)).incidents.total).toBe(ids.length);
      const metrics = await (await fetch(`${h.base}/metrics`)).text();
      expect(metrics).toContain(`klaxon_projection_events_quarantined_total{service="projection"} ${rows.length}\n`);
    });

    it('a full rebuild gives the same figures as the incremental projection, which serves until the swap', async () => {
      h = await startProjection(openDb);
      await appendScenario(h.store);
      await h.service.runner.catchUp();
      const incremental = await kpisOf(h, '?bucket=day');
      let duringRebuild: unknown;
      await rebuildReadModels(h.store, h.db, {
        batchSize: 5,
        onProgress: async () => {
          duringRebuild ??= await kpisOf(h, '?bucket=day');
        },
      });
      expect(duringRebuild).toEqual(incremental);
      expect(await kpisOf(h, '?bucket=day')).toEqual(incremental);
      // The live projection goes on in the swapped-in tables.
      await h.store.append(
        'incident-e',
        [
          {
            type: 'IncidentOpened',
            data: { ...((await h.store.readStream('incident-a'))[0]!.data as object), incidentId: 'e', number: 5 },
          },
        ],
        'no_stream',
      );
      await h.service.runner.catchUp();
      expect((await kpisOf(h)).incidents.total).toBe(5);
    });

    it('follows live appends within a second', async () => {
      h = await startProjection(openDb);
      await h.service.start();
      await appendScenario(h.store);
      const started = Date.now();
      const metrics = async () => (await fetch(`${h.base}/metrics`)).text();
      // The fourth incident can show before the scenario's later events (acks, resolves) are
      // applied, so the wait is for every one of the 17 events, not for the incident count.
      while (!/klaxon_projection_events_applied_total\{service="projection"\} 17\n/.test(await metrics())) {
        expect(Date.now() - started).toBeLessThan(1000);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await kpisOf(h)).incidents.total).toBe(4);
      expect(await metrics()).toMatch(/klaxon_projection_lag_seconds\{service="projection"\} 0\n/);
    });
  });
}
