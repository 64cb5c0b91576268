import { describe, it } from 'vitest';
import type { IncidentEvent } from '../src/index.ts';
import { given } from './support/given-when-then.ts';
import { at, openP1, P1, roster } from './support/runbook.ts';

const opened: IncidentEvent = {
  type: 'IncidentOpened',
  data: {
    incidentId: 'inc-1',
    number: 1,
    groupKey: '{}:{alertname="BarDiskFull"}',
    severity: 'P1',
    service: 'bar-db',
    title: 'Disk full',
    labels: { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' },
    source: 'alertmanager',
    alertStartsAt: at('09:58'),
    openedAt: at('10:00'),
    policy: 'default',
    timings: P1,
  },
};
const firstAlert: IncidentEvent = {
  type: 'AlertAttached',
  data: { fingerprint: 'f1', status: 'firing', startsAt: at('09:58'), receivedAt: at('10:00') },
};

describe('opening an incident', () => {
  it('pages L1, arms the ack timeout and every resolution timeout, and schedules the first status update', () => {
    given()
      .when(openP1())
      .then([
        opened,
        firstAlert,
        {
          type: 'PageRequested',
          data: { pageId: 'p1', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:00') },
        },
        { type: 'EscalationScheduled', data: { timerId: 't1', level: 2, dueAt: at('10:05'), reason: 'ack-timeout' } },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't2', level: 2, dueAt: at('10:30'), reason: 'resolution-timeout' },
        },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't3', level: 3, dueAt: at('11:00'), reason: 'resolution-timeout' },
        },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't4', level: 4, dueAt: at('12:00'), reason: 'resolution-timeout' },
        },
        { type: 'StatusUpdateScheduled', data: { dueAt: at('10:30') } },
      ]);
  });

  it('escalates at once to L3 when an immediate-escalation rule matched (security breach)', () => {
    given()
      .when(openP1({ escalateTo: 3, labels: { alertname: 'IntrusionDetected', category: 'security' } }))
      .thenIncludes(
        {
          type: 'PageRequested',
          data: { pageId: 'p1', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:00') },
        },
        { type: 'Escalated', data: { fromLevel: 1, toLevel: 3, reason: 'rule', at: at('10:00') } },
        {
          type: 'PageRequested',
          data: {
            pageId: 'p2',
            level: 3,
            contact: 'erin-manager',
            channel: 'voice',
            purpose: 'escalation',
            at: at('10:00'),
          },
        },
        { type: 'EscalationScheduled', data: { timerId: 't1', level: 4, dueAt: at('10:05'), reason: 'ack-timeout' } },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't2', level: 4, dueAt: at('12:00'), reason: 'resolution-timeout' },
        },
      );
  });

  it('pages every target of L1 on every channel the policy names', () => {
    given()
      .when(
        openP1({
          roster: {
            ...roster,
            L1: [
              { contact: 'alice', channel: 'sms' },
              { contact: 'alice', channel: 'email' },
              { contact: 'bob', channel: 'voice' },
            ],
          },
        }),
      )
      .thenIncludes(
        {
          type: 'PageRequested',
          data: { pageId: 'p1', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:00') },
        },
        {
          type: 'PageRequested',
          data: { pageId: 'p2', level: 1, contact: 'alice', channel: 'email', purpose: 'escalation', at: at('10:00') },
        },
        {
          type: 'PageRequested',
          data: { pageId: 'p3', level: 1, contact: 'bob', channel: 'voice', purpose: 'escalation', at: at('10:00') },
        },
      );
  });

  it('refuses to open the same incident twice', () => {
    given(opened, firstAlert).when(openP1()).thenFails('IncidentAlreadyExists');
  });
});

describe('alerts of the same group', () => {
  it('attaches a second alert of the same group to the open incident', () => {
    given(opened, firstAlert)
      .when({ type: 'AttachAlert', fingerprint: 'f2', status: 'firing', startsAt: at('10:01'), at: at('10:02') })
      .then([
        {
          type: 'AlertAttached',
          data: { fingerprint: 'f2', status: 'firing', startsAt: at('10:01'), receivedAt: at('10:02') },
        },
      ]);
  });

  it('ignores a repeated notification of an alert it already has', () => {
    given(opened, firstAlert)
      .when({ type: 'AttachAlert', fingerprint: 'f1', status: 'firing', startsAt: at('09:58'), at: at('10:04') })
      .thenNothing();
  });

  it('stays open while one of its alerts still fires', () => {
    const second: IncidentEvent = {
      type: 'AlertAttached',
      data: { fingerprint: 'f2', status: 'firing', startsAt: at('10:01'), receivedAt: at('10:02') },
    };
    given(opened, firstAlert, second)
      .when({ type: 'AttachAlert', fingerprint: 'f1', status: 'resolved', startsAt: at('09:58'), at: at('10:20') })
      .then([
        {
          type: 'AlertAttached',
          data: { fingerprint: 'f1', status: 'resolved', startsAt: at('09:58'), receivedAt: at('10:20') },
        },
      ]);
  });

  it('is resolved by the source once every alert has resolved, and tells those who were paged', () => {
    const paged: IncidentEvent = {
      type: 'PageRequested',
      data: { pageId: 'p1', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:00') },
    };
    given(opened, firstAlert, paged)
      .when({ type: 'AttachAlert', fingerprint: 'f1', status: 'resolved', startsAt: at('09:58'), at: at('10:20') })
      .then([
        {
          type: 'AlertAttached',
          data: { fingerprint: 'f1', status: 'resolved', startsAt: at('09:58'), receivedAt: at('10:20') },
        },
        { type: 'Resolved', data: { by: 'source', via: 'source', at: at('10:20') } },
        {
          type: 'PageRequested',
          data: { pageId: 'p2', level: 1, contact: 'alice', channel: 'sms', purpose: 'resolution', at: at('10:20') },
        },
      ]);
  });

  it('counts what still fires across a thousand alerts: resolved twice counts once, firing again counts again, and only the last one resolving resolves the incident', () => {
    const attached = (fingerprint: string, status: 'firing' | 'resolved', time: string): IncidentEvent => ({
      type: 'AlertAttached',
      data: { fingerprint, status, startsAt: at('09:58'), receivedAt: at(time) },
    });
    const many = Array.from({ length: 1000 }, (_, i) => attached(`f${i + 2}`, 'firing', '10:01'));
    const resolvedAll = ['f1', ...many.map((_, i) => `f${i + 2}`)].map((f) => attached(f, 'resolved', '10:10'));
    // Resolved once more, then firing again: f2 alone fires, so its resolving resolves the incident.
    given(
      opened,
      firstAlert,
      ...many,
      ...resolvedAll,
      attached('f2', 'resolved', '10:11'),
      attached('f2', 'firing', '10:12'),
    )
      .when({ type: 'AttachAlert', fingerprint: 'f2', status: 'resolved', startsAt: at('09:58'), at: at('10:20') })
      .then([
        {
          type: 'AlertAttached',
          data: { fingerprint: 'f2', status: 'resolved', startsAt: at('09:58'), receivedAt: at('10:20') },
        },
        { type: 'Resolved', data: { by: 'source', via: 'source', at: at('10:20') } },
      ]);
    // Two still firing: one resolving leaves the incident open.
    given(opened, firstAlert, ...many, ...resolvedAll.slice(2))
      .when({ type: 'AttachAlert', fingerprint: 'f2', status: 'resolved', startsAt: at('09:58'), at: at('10:20') })
      .then([
        {
          type: 'AlertAttached',
          data: { fingerprint: 'f2', status: 'resolved', startsAt: at('09:58'), receivedAt: at('10:20') },
        },
      ]);
  });

  it('refuses a firing alert for a resolved incident, so the caller opens a new one', () => {
    given(opened, firstAlert, { type: 'Resolved', data: { by: 'alice', via: 'api', at: at('10:30') } })
      .when({ type: 'AttachAlert', fingerprint: 'f1', status: 'firing', startsAt: at('10:40'), at: at('10:40') })
      .thenFails('IncidentResolved');
  });

  describe('a run of alerts that came together (one notification)', () => {
    const run = (...fingerprints: string[]) => ({
      type: 'AttachAlerts' as const,
      alerts: fingerprints.map((fingerprint) => ({ fingerprint, status: 'firing' as const, startsAt: at('10:01') })),
      at: at('10:02'),
    });
    const firing = (fingerprint: string) => ({ fingerprint, status: 'firing' as const, startsAt: at('10:01') });

    it('attaches the new ones as one fact, leaving out what the incident already has firing and repeats within the run', () => {
      given(opened, firstAlert)
        .when(run('f1', 'f2', 'f3', 'f2', 'f4'))
        .then([
          {
            type: 'AlertsAttached',
            data: { alerts: [firing('f2'), firing('f3'), firing('f4')], receivedAt: at('10:02') },
          },
        ]);
    });

    it('writes a run with one new alert as that alert, and a run with none as nothing', () => {
      given(opened, firstAlert)
        .when(run('f1', 'f2'))
        .then([{ type: 'AlertAttached', data: { ...firing('f2'), receivedAt: at('10:02') } }]);
      given(opened, firstAlert).when(run('f1', 'f1')).thenNothing();
    });

    it('counts every alert of the run as firing: the one resolved before fires again, and the incident stays open until all resolve', () => {
      const f1Resolved: IncidentEvent = {
        type: 'AlertAttached',
        data: { fingerprint: 'f1', status: 'resolved', startsAt: at('09:58'), receivedAt: at('10:00') },
      };
      const second: IncidentEvent = {
        type: 'AlertAttached',
        data: { fingerprint: 'f9', status: 'firing', startsAt: at('09:59'), receivedAt: at('10:00') },
      };
      given(opened, firstAlert, second, f1Resolved, {
        type: 'AlertsAttached',
        data: { alerts: [firing('f1'), firing('f2')], receivedAt: at('10:02') },
      })
        .when({ type: 'AttachAlert', fingerprint: 'f9', status: 'resolved', startsAt: at('09:59'), at: at('10:05') })
        .then([
          {
            type: 'AlertAttached',
            data: { fingerprint: 'f9', status: 'resolved', startsAt: at('09:59'), receivedAt: at('10:05') },
          },
        ]);
    });

    it('resolves the incident once a run of resolutions leaves nothing firing, and tells those who were paged', () => {
      const paged: IncidentEvent = {
        type: 'PageRequested',
        data: { pageId: 'p1', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:00') },
      };
      const more: IncidentEvent = {
        type: 'AlertsAttached',
        data: { alerts: [firing('f2'), firing('f3')], receivedAt: at('10:02') },
      };
      const resolved = (fingerprint: string) => ({ fingerprint, status: 'resolved' as const, startsAt: at('10:01') });
      given(opened, firstAlert, paged, more)
        .when({
          type: 'AttachAlerts',
          alerts: [resolved('f1'), resolved('f2'), resolved('f2'), resolved('f3')],
          at: at('10:20'),
        })
        .then([
          {
            type: 'AlertsAttached',
            data: { alerts: [resolved('f1'), resolved('f2'), resolved('f3')], receivedAt: at('10:20') },
          },
          { type: 'Resolved', data: { by: 'source', via: 'source', at: at('10:20') } },
          {
            type: 'PageRequested',
            data: { pageId: 'p2', level: 1, contact: 'alice', channel: 'sms', purpose: 'resolution', at: at('10:20') },
          },
        ]);
      // One still firing: the incident stays open.
      given(opened, firstAlert, paged, more)
        .when({ type: 'AttachAlerts', alerts: [resolved('f1'), resolved('f2')], at: at('10:20') })
        .then([
          { type: 'AlertsAttached', data: { alerts: [resolved('f1'), resolved('f2')], receivedAt: at('10:20') } },
        ]);
    });

    it('refuses a run for a resolved incident, so the caller opens a new one', () => {
      given(opened, firstAlert, { type: 'Resolved', data: { by: 'alice', via: 'api', at: at('10:30') } })
        .when(run('f2', 'f3'))
        .thenFails('IncidentResolved');
    });
  });
});
