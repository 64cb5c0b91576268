import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN } from './support/test-config.ts';

const at = (hhmmss: string) => `2026-11-23T${hhmmss}.000Z`;
const EXPECTED = new URL('./fixtures/postmortem-expected.md', import.meta.url);

describe('what the store makes possible', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('time travel: an incident acknowledged at T is open at T − 1 s and acknowledged at T + 1 s', async () => {
    h = await startEscalation({ start: at('10:00:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    await h.advanceTo(at('10:03:00'));
    expect((await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' })).status).toBe(200);
    await h.advanceTo(at('10:40:00'));

    const before = await h.api('GET', `/api/v1/incidents/${id}?at=${at('10:02:59')}`);
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({
      asOf: at('10:02:59'),
      incident: { status: 'open', level: 'L1', acknowledged: null },
    });
    expect(before.json.timeline.map((e: { type: string }) => e.type)).not.toContain('Acknowledged');

    const after = await h.api('GET', `/api/v1/incidents/${id}?at=${at('10:03:01')}`);
    expect(after.json).toMatchObject({ incident: { status: 'acknowledged', acknowledged: { by: 'alice' } } });
    // Now, the acknowledged P1 has reached L2 at its 30-minute escalation; at 10:03:01 it had not.
    expect((await h.api('GET', `/api/v1/incidents/${id}`)).json.incident.level).toBe('L2');
    expect(after.json.incident.level).toBe('L1');

    expect((await h.api('GET', `/api/v1/incidents/${id}?at=${at('09:59:59')}`)).status).toBe(404);
    const bad = await h.api('GET', `/api/v1/incidents/${id}?at=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.json.problems[0].path).toBe('at');
  });

  it('drafts the post-mortem of a scripted incident from the runbook template, equal to the checked-in file', async () => {
    h = await startEscalation({ start: at('10:00:00') });
    await h.alert(
      { alertname: 'CheckoutDown', service: 'checkout', severity: 'critical' },
      { summary: 'Checkout returns 500', startsAt: at('09:58:30') },
    );
    const id = h.service.index.acting()[0]!.state.incidentId;
    await h.advanceTo(at('10:05:00')); // nobody acknowledged within 5 min: L2 paged
    await h.advanceTo(at('10:07:10'));
    expect((await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'tom' })).status).toBe(200);
    await h.advanceTo(at('10:20:00'));
    expect(
      (
        await h.api('POST', `/api/v1/incidents/${id}/status-updates`, {
          by: 'tom',
          text: 'Rolled back release 142 | error rate falling',
        })
      ).status,
    ).toBe(200);
    await h.advanceTo(at('10:45:30'));
    expect((await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' })).status).toBe(200);

    const response = await fetch(`${h.base}/api/v1/incidents/${id}/postmortem`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/markdown/);
    const markdown = await response.text();
    // After a deliberate change of the draft: UPDATE_EXPECTED=1, then read the diff of the file.
    if (process.env.UPDATE_EXPECTED === '1') writeFileSync(EXPECTED, markdown);
    expect(markdown).toBe(readFileSync(EXPECTED, 'utf8'));
  });
});
