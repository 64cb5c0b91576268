import { openSqliteEventStore } from '@klaxon/event-store';
import { syntheticIncident, tempDir } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const INCIDENTS = 2500;

describe('the incident list pages through thousands of incidents', () => {
  let h: Harness;
  const dir = tempDir('klaxon-list-');

  beforeAll(async () => {
    // History as the escalation service wrote it, 2,500 incidents (opened a minute apart from 2026-01-01).
    const store = openSqliteEventStore(dir.file('events.db'));
    for (let n = 0; n < INCIDENTS; n++) {
      const appended = await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');
      if (!appended.ok) throw new Error('append conflict');
    }
    await store.close();
    h = await startEscalation({ dir });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    dir.remove();
  });

  const list = async (query: string) => h.api('GET', `/api/v1/incidents${query}`);

  it('returns every incident exactly once, newest first, in pages of at most `limit`, with a null cursor on the last page', async () => {
    const seen: Array<{ id: string; number: number }> = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const { status, json } = await list(`?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      sizes.push(json.incidents.length);
      seen.push(...json.incidents);
      cursor = json.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(new Set(seen.map((i) => i.id)).size).toBe(INCIDENTS);
    expect(seen.map((i) => i.number)).toEqual(Array.from({ length: INCIDENTS }, (_, i) => INCIDENTS - i));
  });

  it('defaults to 100, filters by status, severity, service and opening time, and refuses what it cannot read', async () => {
    expect((await list('')).json.incidents).toHaveLength(100);
    const p1 = await list('?severity=P1&limit=1000');
    expect(p1.json.incidents).toHaveLength(625);
    expect(p1.json.incidents.every((i: { severity: string }) => i.severity === 'P1')).toBe(true);
    expect((await list('?service=svc-3&status=resolved&limit=1000')).json.incidents).toHaveLength(125);
    expect((await list('?status=open')).json).toEqual({ incidents: [], nextCursor: null });
    // Incident n opened at 2026-01-01T00:00Z + n minutes: since 40:00 on day 2 leaves n ≥ 2400.
    expect((await list('?since=2026-01-02T16:00:00Z&limit=1000')).json.incidents).toHaveLength(100);
    for (const bad of [
      '?limit=1001',
      '?limit=0',
      '?cursor=not-a-cursor',
      '?since=yesterday',
      '?severity=P9',
      '?colour=red',
    ]) {
      expect((await list(bad)).status, bad).toBe(400);
    }
  });
});
