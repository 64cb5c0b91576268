import { describe, expect, it } from 'vitest';
import {
  decideHeartbeatMonitor,
  evolveHeartbeatMonitors,
  initialHeartbeatMonitors,
  type HeartbeatMonitorCommand,
  type HeartbeatMonitorEvent,
} from '../src/index.ts';

const alice = { kind: 'person' as const, name: 'alice' };
const at = '2027-03-01T10:00:00.000Z';
const context = { configured: new Set(['prometheus']), integrations: new Set(['alertmanager']) };
const given = (events: HeartbeatMonitorEvent[]) => events.reduce(evolveHeartbeatMonitors, initialHeartbeatMonitors());
const add = (fields: Partial<Extract<HeartbeatMonitorCommand, { type: 'AddHeartbeatMonitor' }>> = {}) =>
  ({
    type: 'AddHeartbeatMonitor',
    name: 'nightly-backup',
    interval: '24h',
    grace: '1h',
    actor: alice,
    at,
    ...fields,
  }) as const;
const remove = (name: string) => ({ type: 'RemoveHeartbeatMonitor', name, actor: alice, at }) as const;
const added: HeartbeatMonitorEvent = {
  type: 'HeartbeatMonitorAdded',
  data: { name: 'nightly-backup', intervalMs: 86_400_000, graceMs: 3_600_000, labels: {}, actor: alice, at },
};

describe('heartbeat monitors made through the API', () => {
  it('given none, when alice adds the nightly backup every 24h with 1h grace, then it is added with her as author', () => {
    expect(decideHeartbeatMonitor(add({ labels: { severity: 'warning' } }), given([]), context)).toEqual({
      ok: true,
      value: [{ ...added, data: { ...added.data, labels: { severity: 'warning' } } }],
    });
    expect(given([added]).get('nightly-backup')).toMatchObject({ intervalMs: 86_400_000, createdBy: alice });
  });

  it('grace may be left out (none), as in klaxon.yaml; a Watchdog match and a known integration are kept', () => {
    const decided = decideHeartbeatMonitor(
      add({ grace: undefined, match: { alertname: 'Watchdog' }, integration: 'alertmanager' }),
      given([]),
      context,
    );
    expect(decided.ok && decided.value[0]!.data).toMatchObject({
      graceMs: 0,
      match: { alertname: 'Watchdog' },
      integration: 'alertmanager',
    });
  });

  it('refuses a name of klaxon.yaml, a name made already, and removing one of klaxon.yaml or one never made', () => {
    expect(decideHeartbeatMonitor(add({ name: 'prometheus' }), given([]), context)).toEqual({
      ok: false,
      error: { code: 'Configured', name: 'prometheus' },
    });
    expect(decideHeartbeatMonitor(add(), given([added]), context)).toEqual({
      ok: false,
      error: { code: 'Exists', name: 'nightly-backup' },
    });
    expect(decideHeartbeatMonitor(remove('prometheus'), given([]), context)).toMatchObject({
      error: { code: 'Configured' },
    });
    expect(decideHeartbeatMonitor(remove('weekly-backup'), given([added]), context)).toMatchObject({
      error: { code: 'NotFound' },
    });
  });

  it('refuses bad durations (not one, or an interval of zero), a bad name, a bad regex and an unknown integration', () => {
    const refused = (command: HeartbeatMonitorCommand) => {
      const decided = decideHeartbeatMonitor(command, given([]), context);
      return decided.ok ? undefined : decided.error;
    };
    expect(refused(add({ interval: 'daily' }))).toMatchObject({ code: 'BadDuration', field: 'interval' });
    expect(refused(add({ interval: '0' }))).toMatchObject({ code: 'BadDuration', field: 'interval' });
    expect(refused(add({ grace: '-5m' }))).toMatchObject({ code: 'BadDuration', field: 'grace' });
    expect(refused(add({ name: 'nightly backup' }))).toMatchObject({ code: 'BadName' });
    expect(refused(add({ name: 'x'.repeat(101) }))).toMatchObject({ code: 'BadName' });
    expect(refused(add({ match: { alertname: '~(' } }))).toMatchObject({
      code: 'BadMatcher',
      field: 'match.alertname',
    });
    expect(refused(add({ integration: 'grafana' }))).toMatchObject({ code: 'UnknownIntegration' });
  });

  it('given one removed, then it is gone, and the name may be made again', () => {
    const removed = decideHeartbeatMonitor(remove('nightly-backup'), given([added]), context);
    if (!removed.ok) throw new Error('refused');
    const state = given([added, ...removed.value]);
    expect(state.has('nightly-backup')).toBe(false);
    expect(decideHeartbeatMonitor(add(), state, context).ok).toBe(true);
  });
});
