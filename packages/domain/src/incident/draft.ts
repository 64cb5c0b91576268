import type { Acting } from '../people/actor.ts';
import { levelName, nextLevel, type Level } from '../severity.ts';
import { addMs, type Instant } from '../time/instant.ts';
import type { PageTarget, Roster } from './commands.ts';
import type { IncidentEvent, PagePurpose } from './events.ts';
import { evolve } from './evolve.ts';
import type { Incident, IncidentState } from './state.ts';

/**
 * A decision under construction: each emitted event is applied at once, so later events in the same
 * decision see the ids and level the earlier ones produced.
 */
export class Draft {
  readonly events: IncidentEvent[] = [];
  constructor(private current: IncidentState) {}

  /** The state every event emitted so far leads to. */
  get state(): IncidentState {
    return this.current;
  }

  get incident(): Incident {
    if (!this.current.exists) throw new Error('Draft used before the incident was opened');
    return this.current;
  }

  emit(event: IncidentEvent): this {
    this.events.push(event);
    this.current = evolve(this.current, event);
    return this;
  }

  page(targets: PageTarget[], level: Level, purpose: PagePurpose, at: Instant): this {
    for (const { contact, channel, method, to } of targets) {
      const pageId = `p${this.incident.pageSeq + 1}`;
      const address = method !== undefined && to !== undefined ? { method, to } : {};
      this.emit({ type: 'PageRequested', data: { pageId, level, contact, channel, purpose, ...address, at } });
    }
    return this;
  }

  pageLevel(roster: Roster, level: Level, at: Instant): this {
    return this.page(roster[levelName(level)], level, 'escalation', at);
  }

  /** While nobody has acknowledged, the next level is paged after the ack timeout. */
  scheduleAckTimeout(at: Instant): this {
    const incident = this.incident;
    const next = nextLevel(incident.level);
    const { ackTimeoutMs } = incident.timings;
    if (incident.status !== 'open' || next === undefined || ackTimeoutMs === undefined) return this;
    return this.scheduleEscalation(next, addMs(at, ackTimeoutMs), 'ack-timeout');
  }

  /** Every level above the current one is paged once its delay from `from` passes without resolution. */
  scheduleResolutionTimeouts(from: Instant): this {
    const incident = this.incident;
    incident.timings.escalateAfterMs.forEach((delayMs, i) => {
      const level = (i + 2) as Level;
      if (level > incident.level) this.scheduleEscalation(level, addMs(from, delayMs), 'resolution-timeout');
    });
    return this;
  }

  scheduleStatusUpdate(at: Instant): this {
    return this.emit({
      type: 'StatusUpdateScheduled',
      data: { dueAt: addMs(at, this.incident.timings.statusUpdateEveryMs) },
    });
  }

  escalate(
    toLevel: Level,
    reason: 'timeout' | 'rule' | 'manual',
    roster: Roster,
    at: Instant,
    extra: { timerId?: string; by?: string } & Acting = {},
  ): this {
    const fromLevel = this.incident.level;
    this.emit({ type: 'Escalated', data: { fromLevel, toLevel, reason, ...extra, at } });
    return this.pageLevel(roster, toLevel, at).scheduleAckTimeout(at);
  }

  private scheduleEscalation(level: Level, dueAt: Instant, reason: 'ack-timeout' | 'resolution-timeout'): this {
    const timerId = `t${this.incident.timerSeq + 1}`;
    return this.emit({ type: 'EscalationScheduled', data: { timerId, level, dueAt, reason } });
  }
}
