import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

// PostgreSQL refuses U+0000 in jsonb, and a lone surrogate has no UTF-8 form: such text in a body would make
// the store refuse the event. It is replaced with U+FFFD before it reaches the store.
describe('text in the bodies of the incident API', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('with a NUL or a lone surrogate is stored with U+FFFD in their place, the rest kept', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    const posted = await h.api('POST', `/api/v1/incidents/${id}/status-updates`, {
      by: 'alice\u0000',
      text: 'db \ud800 failover \udc00 done\u0000',
    });
    expect(posted.status).toBe(200);
    expect((await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'bob\ud83d' })).status).toBe(200);
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${id}`)).json;
    expect(timeline.find((e: { type: string }) => e.type === 'StatusUpdatePosted')).toMatchObject({
      by: 'alice\uFFFD',
      text: 'db \uFFFD failover \uFFFD done\uFFFD',
    });
    expect(timeline.find((e: { type: string }) => e.type === 'Acknowledged')).toMatchObject({ by: 'bob\uFFFD' });
    const stored = (await h.store.readStream(`incident-${id}`)).map((e) => JSON.stringify(e.data)).join('');
    expect(stored).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });
});
