import type { IncidentEvent } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';

const P1 = {
  ackTimeoutMs: 300_000,
  escalateAfterMs: [1_800_000, 3_600_000, 7_200_000] as [number, number, number],
  statusUpdateEveryMs: 1_800_000,
};
const t = (iso: string) => new Date(iso).toISOString();

const opened = (
  id: string,
  number: number,
  severity: 'P1' | 'P2' | 'P3',
  service: string,
  startsAt: string,
  openedAt: string,
): IncidentEvent => ({
  type: 'IncidentOpened',
  data: {
    incidentId: id,
    number,
    groupKey: `g-${id}`,
    severity,
    service,
    title: `${service} trouble`,
    labels: {},
    source: 'alertmanager',
    alertStartsAt: t(startsAt),
    openedAt: t(openedAt),
    policy: 'default',
    timings: P1,
  },
});
const page = (
  pageId: string,
  level: 1 | 2,
  contact: string,
  at: string,
  channel: 'sms' | 'voice' | 'email' = 'sms',
): IncidentEvent => ({
  type: 'PageRequested',
  data: { pageId, level, contact, channel, purpose: 'escalation', at: t(at) },
});
const delivered = (pageId: string, at: string): IncidentEvent => ({
  type: 'PageDelivered',
  data: { pageId, providerId: `SM-${pageId}`, at: t(at) },
});
/** Who acted, as recorded: absent on facts written before actors were (then only `by` names someone). */
type Acting = { actor?: { kind: 'person' | 'service' | 'phone'; name: string }; onBehalfOf?: string };
const acked = (by: string, at: string, acting: Acting = {}): IncidentEvent => ({
  type: 'Acknowledged',
  data: { by, via: 'sms', at: t(at), ...acting },
});
const resolved = (by: string, at: string, acting: Acting = {}): IncidentEvent => ({
  type: 'Resolved',
  data: { by, via: 'api', at: t(at), ...acting },
});

/**
 * Four incidents with known timings (asOf 2026-11-24T12:00Z):
 * A P1 orders   starts 09:58 opened 10:00 ack 10:03 resolved 10:40, L1, 1 page
 * B P1 orders   starts 10:00 opened 10:01 L2 at 10:06, ack 10:10 resolved 12:01, 2 pages
 * C P2 payments starts 11:00:00 opened 11:00:30, never acknowledged, 1 page (at 23:30 Berlin = night)
 * D P3 orders   (next day) starts 08:00 opened 08:10 ack 08:40 resolved 09:10, 1 page
 * Who is credited: A's facts predate actors (alice by `by`); B was acknowledged by the admin ada on tom's
 * behalf (tom), resolved by tom's session; D acknowledged by bob's phone, resolved by the service token `ci`
 * acting on its own (no one).
 */
export const SCENARIO: Record<string, IncidentEvent[]> = {
  'incident-a': [
    opened('a', 1, 'P1', 'orders', '2026-11-23T09:58:00Z', '2026-11-23T10:00:00Z'),
    page('p1', 1, 'alice', '2026-11-23T10:00:00Z'),
    delivered('p1', '2026-11-23T10:00:01Z'),
    acked('alice', '2026-11-23T10:03:00Z'),
    resolved('alice', '2026-11-23T10:40:00Z'),
  ],
  'incident-b': [
    opened('b', 2, 'P1', 'orders', '2026-11-23T10:00:00Z', '2026-11-23T10:01:00Z'),
    page('p1', 1, 'alice', '2026-11-23T10:01:00Z'),
    {
      type: 'Escalated',
      data: { fromLevel: 1, toLevel: 2, reason: 'timeout', timerId: 't1', at: t('2026-11-23T10:06:00Z') },
    },
    page('p2', 2, 'tom', '2026-11-23T10:06:00Z', 'voice'),
    acked('tom', '2026-11-23T10:10:00Z', { actor: { kind: 'person', name: 'ada' }, onBehalfOf: 'tom' }),
    resolved('tom', '2026-11-23T12:01:00Z', { actor: { kind: 'person', name: 'tom' } }),
  ],
  'incident-c': [
    opened('c', 3, 'P2', 'payments', '2026-11-23T11:00:00Z', '2026-11-23T11:00:30Z'),
    page('p1', 1, 'alice', '2026-11-23T22:30:00Z'),
  ],
  'incident-d': [
    opened('d', 4, 'P3', 'orders', '2026-11-24T08:00:00Z', '2026-11-24T08:10:00Z'),
    page('p1', 1, 'bob', '2026-11-24T08:10:00Z', 'email'),
    acked('bob', '2026-11-24T08:40:00Z', { actor: { kind: 'phone', name: 'bob' } }),
    resolved('ci', '2026-11-24T09:10:00Z', { actor: { kind: 'service', name: 'ci' } }),
  ],
};

export const AS_OF = new Date('2026-11-24T12:00:00Z');

/** Appends the scenario interleaved across streams, a few events per append, as a live system would. */
export async function appendScenario(store: EventStore): Promise<void> {
  const streams = Object.entries(SCENARIO).map(([stream, events]) => ({ stream, events: [...events], revision: -1 }));
  while (streams.some((s) => s.events.length)) {
    for (const s of streams) {
      const chunk = s.events.splice(0, 2);
      if (chunk.length === 0) continue;
      const result = await store.append(
        s.stream,
        chunk.map((e) => ({ type: e.type, data: e.data })),
        s.revision === -1 ? 'no_stream' : s.revision,
      );
      if (!result.ok) throw new Error('scenario append conflict');
      s.revision = result.value.nextExpectedRevision;
    }
  }
}

export const TARGETS = {
  P1: { responseTargetMs: 15 * 60_000, resolutionTargetMs: 4 * 3_600_000 },
  P2: { responseTargetMs: 3_600_000, resolutionTargetMs: 8 * 3_600_000 },
  P3: { responseTargetMs: 4 * 3_600_000, resolutionTargetMs: 3 * 86_400_000 },
  P4: { responseTargetMs: 86_400_000, resolutionTargetMs: 14 * 86_400_000 },
};

/** The figures the scenario must give, worked out by hand. */
export const EXPECTED = {
  incidents: { total: 4, open: 1, acknowledged: 0, resolved: 3, bySeverity: { P1: 2, P2: 1, P3: 1, P4: 0 } },
  // MTTD 120, 60, 30, 600 s; MTTA 180, 540, 1800 s; MTTR 2400, 7200, 3600 s.
  mttd: { count: 4, meanSeconds: 202.5, p50Seconds: 90, p90Seconds: 456 },
  mtta: { count: 3, meanSeconds: 840, p50Seconds: 540, p90Seconds: 1548 },
  mttr: { count: 3, meanSeconds: 4400, p50Seconds: 3600, p90Seconds: 6480 },
  escalationRate: 0.25,
  pagesPerIncident: 1.25,
  sla: {
    P1: { responseMet: 1, resolutionMet: 1, responseTargetSeconds: 900, resolutionTargetSeconds: 14_400 },
    P2: { responseMet: 0, resolutionMet: 0, responseTargetSeconds: 3600, resolutionTargetSeconds: 28_800 },
    P3: { responseMet: 1, resolutionMet: 1, responseTargetSeconds: 14_400, resolutionTargetSeconds: 259_200 },
    P4: { responseMet: null, resolutionMet: null, responseTargetSeconds: 86_400, resolutionTargetSeconds: 1_209_600 },
  },
};
