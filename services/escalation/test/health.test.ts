import pino from 'pino';
import { openSqliteEventStore } from '@klaxon/event-store';
import { tempDir } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { createEscalationService } from '../src/index.ts';

it('reports the event store on /ready, and not ready once the store is gone', async () => {
  const dir = tempDir();
  const store = openSqliteEventStore(dir.file('events.db'));
  const service = createEscalationService({ logger: pino({ level: 'silent' }), store });
  const base = await service.http.listen(0, '127.0.0.1');
  try {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toMatchObject({ ready: true, checks: { 'event-store (sqlite)': { ok: true } } });
    await store.close();
    const gone = await fetch(`${base}/ready`);
    expect(gone.status).toBe(503);
    expect(await gone.json()).toMatchObject({ ready: false, checks: { 'event-store (sqlite)': { ok: false } } });
  } finally {
    await service.stop();
    dir.remove();
  }
});
