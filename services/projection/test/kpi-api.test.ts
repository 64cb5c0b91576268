import { tempDir } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../src/index.ts';
import { startProjection, type Json, type ProjectionHarness } from './support/projection-harness.ts';

describe('the KPI API refuses what it cannot answer', () => {
  let h: ProjectionHarness;
  afterEach(async () => h?.close());

  it('401 without the API token; 400 naming each bad parameter', async () => {
    const dir = tempDir();
    h = await startProjection(async () => openSqliteDatabase(dir.file('kpis.db')));
    expect((await fetch(`${h.base}/api/v1/kpis`)).status).toBe(401);
    const bad = await h.get('/api/v1/kpis?from=yesterday&severity=P9&bucket=hour&colour=red');
    expect(bad.status).toBe(400);
    const { problems } = (await bad.json()) as Json;
    expect(problems.map((p: { path: string }) => p.path).sort()).toEqual(['', 'bucket', 'from', 'severity']);
    expect((await h.get('/api/v1/kpis?from=2026-11-24&to=2026-11-23')).status).toBe(400);
    expect((await h.get('/api/v1/kpis?bucket=day&from=2000-01-01&to=2026-01-01')).status).toBe(400);
    expect(await (await h.get('/api/v1/kpis')).json()).toMatchObject({
      incidents: { total: 0 },
      mtta: { count: 0, meanSeconds: null },
      escalationRate: null,
    });
    const empty = (await (await h.get('/api/v1/kpis?bucket=day&from=2026-11-23')).json()) as Json;
    expect(
      empty.buckets.map((b: { start: string; incidents: { total: number } }) => [b.start, b.incidents.total]),
    ).toEqual([
      ['2026-11-23T00:00:00.000Z', 0],
      ['2026-11-24T00:00:00.000Z', 0],
    ]);
  });
});
