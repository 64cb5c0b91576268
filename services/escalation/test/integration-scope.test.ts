import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const metric = async (h: Harness, line: string) => (await (await fetch(`${h.base}/metrics`)).text()).includes(line);

describe('an integration acts only on the incidents its own alerts opened', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("another integration's acknowledge and resolve for the same group key are refused, logged and counted", async () => {
    h = await startEscalation();
    const groupKey = 'orders-down';
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' }, { groupKey, fingerprint: 'am-1' });
    const incident = () => h.service.index.acting()[0]!.state;
    expect(incident()).toMatchObject({ status: 'open', integration: 'alertmanager' });
    const { incidentId } = incident();

    // A group key is no secret: the webhooks integration names it in its own events.
    await h.alert({}, { groupKey, fingerprint: 'ev-1', status: 'acknowledged', integration: 'webhooks' });
    await h.alert({}, { groupKey, fingerprint: 'ev-1', status: 'resolved', integration: 'webhooks' });
    expect(incident()).toMatchObject({ status: 'open' });
    expect(incident().acknowledged).toBeUndefined();
    expect(
      await metric(
        h,
        'klaxon_alert_acts_refused_total{integration="webhooks",status="acknowledged",service="escalation"} 1',
      ),
    ).toBe(true);
    expect(
      await metric(
        h,
        'klaxon_alert_acts_refused_total{integration="webhooks",status="resolved",service="escalation"} 1',
      ),
    ).toBe(true);

    // Its own integration still resolves it.
    await h.alert(
      { alertname: 'OrdersDown', severity: 'critical' },
      { groupKey, fingerprint: 'am-1', status: 'resolved' },
    );
    const { json } = await h.api('GET', `/api/v1/incidents/${incidentId}`);
    expect(json.incident).toMatchObject({ status: 'resolved' });
  });

  it('an events-API integration acknowledges and resolves what its own events opened', async () => {
    h = await startEscalation();
    const groupKey = 'disk-full-db1';
    const own = { groupKey, fingerprint: 'ev-1', integration: 'webhooks' };
    await h.alert({ alertname: 'DiskFull', severity: 'critical' }, own);
    await h.alert({}, { ...own, status: 'acknowledged' });
    expect(h.service.index.acting()[0]!.state).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'integration:webhooks' },
    });
  });
});
