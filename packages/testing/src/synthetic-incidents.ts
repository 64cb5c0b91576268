/** One incident's life as the escalation service writes it, 10 events, for volume tests and benchmarks. */
export function syntheticIncident(n: number): Array<{ type: string; data: unknown }> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const opened = Date.parse('2026-01-01T00:00:00Z') + n * 60_000;
  const timings = {
    ackTimeoutMs: 300_000,
    escalateAfterMs: [1_800_000, 3_600_000, 7_200_000],
    statusUpdateEveryMs: 1_800_000,
  };
  return [
    {
      type: 'IncidentOpened',
      data: {
        incidentId: `i${n}`,
        number: n + 1,
        groupKey: `g${n}`,
        severity: ['P1', 'P2', 'P3', 'P4'][n % 4],
        service: `svc-${n % 20}`,
        title: 'synthetic',
        labels: { alertname: 'Synthetic' },
        source: 'alertmanager',
        alertStartsAt: iso(opened - 30_000),
        openedAt: iso(opened),
        policy: 'default',
        timings,
      },
    },
    {
      type: 'AlertAttached',
      data: { fingerprint: `f${n}`, status: 'firing', startsAt: iso(opened - 30_000), receivedAt: iso(opened) },
    },
    {
      type: 'PageRequested',
      data: { pageId: 'p1', level: 1, contact: `c${n % 7}`, channel: 'sms', purpose: 'escalation', at: iso(opened) },
    },
    {
      type: 'EscalationScheduled',
      data: { timerId: 't1', level: 2, dueAt: iso(opened + 300_000), reason: 'ack-timeout' },
    },
    { type: 'StatusUpdateScheduled', data: { dueAt: iso(opened + 1_800_000) } },
    { type: 'PageDelivered', data: { pageId: 'p1', providerId: `SM${n}`, at: iso(opened + 1000) } },
    {
      type: 'Escalated',
      data: { fromLevel: 1, toLevel: 2, reason: 'timeout', timerId: 't1', at: iso(opened + 300_000) },
    },
    {
      type: 'PageRequested',
      data: {
        pageId: 'p2',
        level: 2,
        contact: `c${(n + 1) % 7}`,
        channel: 'voice',
        purpose: 'escalation',
        at: iso(opened + 300_000),
      },
    },
    { type: 'PageDelivered', data: { pageId: 'p2', providerId: `CA${n}`, at: iso(opened + 301_000) } },
    { type: 'Acknowledged', data: { by: `c${n % 7}`, via: 'sms', at: iso(opened + 400_000) } },
    { type: 'Resolved', data: { by: `c${n % 7}`, via: 'api', at: iso(opened + 3_000_000) } },
  ];
}
