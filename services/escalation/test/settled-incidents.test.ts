import { afterEach, expect, it, vi } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { tempDir } from '@klaxon/testing';

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

it('a resolved incident with every page out is kept as its summary: listed and shown whole, and when reopened it pages L1 and escalates again', async () => {
  const h = await startEscalation();
  harnesses.push(h);
  await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
  const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
  expect((await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' })).status).toBe(200);
  await h.service.drained();

  expect(h.service.index.get(id)).toBeUndefined();
  expect(h.service.index.acting()).toEqual([]);
  expect(h.service.timers.nextDueAt()).toBeUndefined();
  const listed = (await h.api('GET', '/api/v1/incidents?status=resolved')).json.incidents;
  expect(listed).toEqual([
    expect.objectContaining({
      id,
      number: 1,
      status: 'resolved',
      level: 'L1',
      service: 'orders',
      assignees: ['alice'],
      resolved: expect.objectContaining({ by: 'alice' }),
    }),
  ]);
  const { incident } = (await h.api('GET', `/api/v1/incidents/${id}`)).json;
  expect(incident).toMatchObject({
    status: 'resolved',
    pages: expect.arrayContaining([
      expect.objectContaining({ contact: 'alice', channel: 'sms', outcome: 'delivered' }),
    ]),
  });

  const smsBefore = h.providers.twilio.messages().length;
  await h.advanceTo('2026-11-23T10:20:00Z');
  expect((await h.api('POST', `/api/v1/incidents/${id}/reopen`, { by: 'bob' })).status).toBe(200);
  await h.service.drained();
  expect(h.service.index.get(id)?.state).toMatchObject({ status: 'open', level: 1 });
  expect(
    h.providers.twilio
      .messages()
      .slice(smsBefore)
      .filter((m) => m.To === '+15550100001'),
  ).toHaveLength(1);
  await h.advanceTo('2026-11-23T10:25:00Z');
  expect(h.service.index.get(id)?.state.level).toBe(2);
});

it('a settled incident that another instance reopens is read again from its stream, and its timers are this instance’s again', async () => {
  const dir = tempDir('klaxon-settled-');
  const providers = await startProviders();
  const a = await startEscalation({ dir, providers, consumerGroup: 'a' });
  harnesses.push(a);
  await a.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
  const id = (await a.api('GET', '/api/v1/incidents')).json.incidents[0].id;
  await a.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
  await a.service.drained();
  // b starts on the history, where the incident is settled: it holds only its summary.
  const b = await startEscalation({ dir, providers, clock: a.clock, consumerGroup: 'b' });
  harnesses.push(b);
  expect(b.service.index.get(id)).toBeUndefined();
  expect(b.service.index.summaries()).toEqual([expect.objectContaining({ id, status: 'resolved' })]);

  expect((await a.api('POST', `/api/v1/incidents/${id}/reopen`, { by: 'bob' })).status).toBe(200);
  await vi.waitFor(() => expect(b.service.index.get(id)?.state.status).toBe('open'), { timeout: 5000, interval: 10 });
  expect(b.service.index.summaries()).toEqual([expect.objectContaining({ id, status: 'open' })]);
  expect(b.service.timers.nextDueAt()).toBe(Date.parse('2026-11-23T10:05:00Z'));
  dir.remove();
});
