import type { Acting } from '../people/actor.ts';
import { levelName, nextLevel, type Level } from '../severity.ts';
import { quietHoursEnd, type PersonalPlan, type PlanStep, type Urgency } from '../paging/notification-rules.ts';
import { addMs, instantMs, type Instant } from '../time/instant.ts';
import type { PageTarget, Roster } from './commands.ts';
import type { IncidentEvent, PagePurpose } from './events.ts';
import { evolve } from './evolve.ts';
import type { Incident, IncidentState } from './state.ts';
import { stepStillWanted } from './timers.ts';

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

  /**
   * Pages a level: each person with rules for the incident's urgency by their rules (steps after the first
   * scheduled, low urgency deferred past their quiet hours), everyone else on the level's channels at once.
   */
  pageLevel(roster: Roster, level: Level, at: Instant): this {
    const urgency = this.incident.timings.urgency ?? 'high';
    const followed = new Set<string>();
    for (const target of roster[levelName(level)]) {
      const plan = roster.plans?.[target.contact];
      if (!plan || plan[urgency].length === 0) this.page([target], level, 'escalation', at);
      else if (!followed.has(target.contact)) {
        followed.add(target.contact);
        this.follow(target.contact, plan, plan[urgency], urgency, level, 'escalation', at);
      }
    }
    return this;
  }

  /**
   * A status-update reminder is no emergency: it follows people's low-urgency rules (quiet hours
   * included) and never calls; without rules, the level's channels with a text in place of a call.
   */
  remind(roster: Roster, level: Level, at: Instant): this {
    const followed = new Set<string>();
    const noCall = (targets: PageTarget[]) =>
      targets.map((t): PageTarget => (t.channel === 'voice' ? { ...t, channel: 'sms' } : t));
    const plain: PageTarget[] = [];
    for (const target of roster[levelName(level)]) {
      const plan = roster.plans?.[target.contact];
      if (!plan || plan.low.length === 0) plain.push(...noCall([target]));
      else if (!followed.has(target.contact)) {
        followed.add(target.contact);
        const steps = plan.low.map((s) => ({ ...s, targets: s.targets.filter((t) => t.channel !== 'voice') }));
        this.follow(target.contact, plan, steps, 'low', level, 'status-update', at);
      }
    }
    const once = new Map(plain.map((t) => [`${t.contact}\u0000${t.channel}\u0000${t.to ?? ''}`, t]));
    return this.page([...once.values()], level, 'status-update', at);
  }

  /** Fires every step of people's rules due by `at` that still matters. */
  firePageSteps(at: Instant): this {
    const incident = this.incident;
    const due = Object.values(incident.pageSteps ?? {})
      .filter((step) => instantMs(step.dueAt) <= instantMs(at) && stepStillWanted(incident, step))
      .sort((a, b) => instantMs(a.dueAt) - instantMs(b.dueAt));
    for (const step of due) {
      const pageId = `p${this.incident.pageSeq + 1}`;
      const { stepId, level, contact, channel, purpose } = step;
      const address = step.method !== undefined && step.to !== undefined ? { method: step.method, to: step.to } : {};
      this.emit({ type: 'PageRequested', data: { pageId, level, contact, channel, purpose, ...address, stepId, at } });
    }
    return this;
  }

  private follow(
    contact: string,
    plan: PersonalPlan,
    steps: PlanStep[],
    urgency: Urgency,
    level: Level,
    purpose: PagePurpose,
    at: Instant,
  ): void {
    const start = (urgency === 'low' && plan.quietHours && quietHoursEnd(plan.quietHours, plan.timezone, at)) || at;
    for (const step of steps) {
      const dueAt = addMs(start, step.afterMs);
      if (instantMs(dueAt) <= instantMs(at)) {
        this.page(step.targets, level, purpose, at);
        continue;
      }
      for (const t of step.targets) {
        const stepId = `s${(this.incident.stepSeq ?? 0) + 1}`;
        const address = t.method !== undefined && t.to !== undefined ? { method: t.method, to: t.to } : {};
        this.emit({
          type: 'PageStepScheduled',
          data: { stepId, level, contact, channel: t.channel, ...address, purpose, dueAt },
        });
      }
    }
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
