import { createHash } from 'node:crypto';
import { openSqliteEventStore } from '@klaxon/event-store';
import { tempDir } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness, type Providers } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const catchAll = '  - match: {}\n    policy: default';
const databases = '  - match: { team: db }\n    policy: default';
const labels = { alertname: 'OrdersDown', severity: 'critical', team: 'web' };

describe("incident ids do not depend on a route's place in the list", () => {
  let h: Harness | undefined;
  let providers: Providers | undefined;
  let dir = tempDir('klaxon-route-order-');
  afterEach(async () => {
    await h?.close();
    await providers?.close();
    dir.remove();
    dir = tempDir('klaxon-route-order-');
  });

  it('routes reordered across a restart: the firing group keeps its incident, nothing opens or pages again', async () => {
    providers = await startProviders();
    h = await startEscalation({ dir, providers, config: testConfig({ routes: `${databases}\n${catchAll}` }) });
    await h.alert(labels, { startsAt: '2026-11-23T09:58:00Z' });
    const [first] = h.service.index.unresolved();
    const paged = providers.twilio.messages().length;
    expect(paged).toBeGreaterThan(0);
    await h.stop();

    // The catch-all moved to the top; Alertmanager sends the firing group again.
    h = await startEscalation({ dir, providers, config: testConfig({ routes: `${catchAll}\n${databases}` }) });
    await h.alert(labels, { startsAt: '2026-11-23T09:58:00Z' });
    await h.alert(labels, { fingerprint: 'fp-second', startsAt: '2026-11-23T10:00:00Z' });
    expect(h.service.index.unresolved().map((i) => i.state.incidentId)).toEqual([first!.state.incidentId]);
    expect([...h.service.index.unresolved()[0]!.state.alerts.keys()].sort()).toEqual(['fp-OrdersDown', 'fp-second']);
    expect(providers.twilio.messages()).toHaveLength(paged);
  });

  it('routes reordered after the group resolved: its firing alert delivered again is still known, nothing opens', async () => {
    providers = await startProviders();
    h = await startEscalation({ dir, providers, config: testConfig({ routes: `${databases}\n${catchAll}` }) });
    await h.alert(labels, { startsAt: '2026-11-23T09:58:00Z' });
    await h.alert(labels, { startsAt: '2026-11-23T09:58:00Z', status: 'resolved' });
    expect(h.service.index.unresolved()).toEqual([]);
    const sent = providers.twilio.messages().length;
    await h.stop();

    h = await startEscalation({ dir, providers, config: testConfig({ routes: `${catchAll}\n${databases}` }) });
    // The same firing alert again (a redelivery from the bus, or Alertmanager's resend of a late notification).
    await h.alert(labels, { startsAt: '2026-11-23T09:58:00Z' });
    expect(h.service.index.unresolved()).toEqual([]);
    expect(providers.twilio.messages()).toHaveLength(sent);
  });

  it('an incident opened before the upgrade, under the id of the route’s index, is joined, not opened again', async () => {
    const groupKey = `{}:{alertname="OrdersDown"}`;
    // How ids were made before: the route's index (here the catch-all, route 0) and the group key.
    const legacyId = `${createHash('sha256').update(`0\u0000${groupKey}`).digest('hex').slice(0, 12)}-1`;
    const store = openSqliteEventStore(dir.file('events.db'));
    await store.append(
      `incident-${legacyId}`,
      [
        {
          type: 'IncidentOpened',
          data: {
            incidentId: legacyId,
            number: 1,
            groupKey,
            severity: 'P1',
            service: '',
            title: 'OrdersDown is firing',
            labels,
            source: 'alertmanager',
            alertStartsAt: '2026-11-23T09:58:00.000Z',
            openedAt: '2026-11-23T09:58:00.000Z',
            policy: 'default',
            timings: { ackTimeoutMs: 300_000, escalateAfterMs: [], statusUpdateEveryMs: 1_800_000 },
          },
        },
        {
          type: 'AlertAttached',
          data: {
            fingerprint: 'fp-OrdersDown',
            status: 'firing',
            startsAt: '2026-11-23T09:58:00.000Z',
            receivedAt: '2026-11-23T09:58:00.000Z',
          },
        },
      ],
      'no_stream',
    );
    await store.close();

    h = await startEscalation({ dir, config: testConfig({ routes: catchAll }) });
    await h.alert(labels, { groupKey, startsAt: '2026-11-23T09:58:00Z' });
    await h.alert(labels, { groupKey, fingerprint: 'fp-second', startsAt: '2026-11-23T10:00:00Z' });
    expect(h.service.index.unresolved().map((i) => i.state.incidentId)).toEqual([legacyId]);
    expect([...h.service.index.unresolved()[0]!.state.alerts.keys()].sort()).toEqual(['fp-OrdersDown', 'fp-second']);
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).not.toMatch(/klaxon_incidents_opened_total\{[^}]*\} [1-9]/);
  });
});
