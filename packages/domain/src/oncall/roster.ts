import type { PageTarget, Roster } from '../incident/commands.ts';
import type { Channel } from '../incident/events.ts';
import { LEVEL_NAMES } from '../severity.ts';
import type { NotificationRules, PersonalPlan, PlanStep, QuietHours, RuleStep } from '../paging/notification-rules.ts';
import { METHOD_TYPES, type MethodType } from '../people/contact-methods.ts';
import type { Instant } from '../time/instant.ts';
import { onCallAt, type ScheduleSpec } from './schedule.ts';

/** A verified way to reach a person: written in klaxon.yaml, or added and confirmed by its code. */
export interface PageableMethod {
  id: string;
  type: MethodType;
  to: string;
}

export interface ContactSpec {
  phone?: string;
  email?: string;
  /** An ntfy topic URL; only a push method gives one. */
  push?: string;
  timezone: string;
  /** Methods written in klaxon.yaml besides those `phone` and `email` imply; they count as verified. */
  methods?: PageableMethod[];
  /** Steps per urgency that replace the policy level's channels for this person. */
  rules?: NotificationRules;
  quietHours?: QuietHours;
}

export interface PolicySpec {
  levels: Partial<Record<(typeof LEVEL_NAMES)[number], { targets: string[]; channels: Channel[] }>>;
}

const impliedAddress = (contact: ContactSpec, channel: Channel): string | undefined =>
  channel === 'email' ? contact.email : channel === 'push' ? contact.push : contact.phone;

/**
 * Every target of one contact on one channel: the address its phone or email implies (a target without a
 * method, as before methods existed), then each other verified method of that type, each address once.
 */
function targetsOf(
  name: string,
  contact: ContactSpec,
  channel: Channel,
  added: (person: string) => PageableMethod[],
): PageTarget[] {
  const implied = impliedAddress(contact, channel);
  const targets: PageTarget[] = implied ? [{ contact: name, channel }] : [];
  const seen = new Set(implied ? [implied] : []);
  for (const method of [...(contact.methods ?? []), ...added(name)]) {
    if (method.type !== channel || seen.has(method.to)) continue;
    seen.add(method.to);
    targets.push({ contact: name, channel, method: method.id, to: method.to });
  }
  return targets;
}

/**
 * Who each level of a policy pages at an instant, on which channels: schedules resolved to the member on
 * call, each of the contact's verified methods of each channel (none: the channel is left out), each
 * contact and address once. `added` gives the methods people added and verified themselves.
 */
export function rosterFor(
  policy: PolicySpec,
  contacts: Record<string, ContactSpec>,
  schedules: Record<string, ScheduleSpec>,
  at: Instant,
  added: (person: string) => PageableMethod[] = () => [],
): Roster {
  const roster = { L1: [], L2: [], L3: [], L4: [] } as Roster;
  for (const levelName of LEVEL_NAMES) {
    const level = policy.levels[levelName];
    if (!level) continue;
    const seen = new Set<string>();
    const targets: PageTarget[] = [];
    for (const target of level.targets) {
      const [kind, name] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
      const schedule = kind === 'schedule' ? schedules[name] : undefined;
      const contactName = schedule ? onCallAt(schedule, at) : name;
      const contact = contacts[contactName];
      if (!contact) continue;
      for (const channel of level.channels) {
        const key = `${contactName}\u0000${channel}`;
        if (seen.has(key)) continue;
        seen.add(key);
        targets.push(...targetsOf(contactName, contact, channel, added));
      }
    }
    roster[levelName] = targets;
  }
  const plans: Record<string, PersonalPlan> = {};
  for (const target of LEVEL_NAMES.flatMap((l) => roster[l])) {
    const contact = contacts[target.contact];
    if (contact?.rules && !plans[target.contact]) plans[target.contact] = planOf(target.contact, contact, added);
  }
  return Object.keys(plans).length > 0 ? { ...roster, plans } : roster;
}

/** Every address the person may be paged at, each with the id and type a rule step names it by. */
function pageable(name: string, contact: ContactSpec, added: (person: string) => PageableMethod[]) {
  const implied = (['sms', 'voice', 'email', 'push'] as const).flatMap((channel) =>
    impliedAddress(contact, channel) ? [{ id: channel, type: channel, target: { contact: name, channel } }] : [],
  );
  const others = [...(contact.methods ?? []), ...added(name)].map((m) => ({
    id: m.id,
    type: m.type,
    target: { contact: name, channel: m.type, method: m.id, to: m.to } as PageTarget,
  }));
  return [...implied, ...others];
}

const isType = (method: string): method is MethodType => (METHOD_TYPES as readonly string[]).includes(method);

/**
 * A person's rules with each step's method resolved: a type names every method of that type, any other id
 * one method. The methods a phone and an email imply have their type as id, so `sms` would otherwise name
 * only klaxon.yaml's phone and never a phone the person added and verified.
 */
function planOf(name: string, contact: ContactSpec, added: (person: string) => PageableMethod[]): PersonalPlan {
  const all = pageable(name, contact, added);
  const resolve = (steps: RuleStep[] = []): PlanStep[] =>
    steps.flatMap((step) => {
      const named = step.method;
      const targets = all.filter((m) => (isType(named) ? m.type === named : m.id === named)).map((m) => m.target);
      return targets.length > 0 ? [{ afterMs: step.afterMs, targets }] : [];
    });
  return {
    high: resolve(contact.rules?.high),
    low: resolve(contact.rules?.low),
    ...(contact.quietHours ? { quietHours: contact.quietHours } : {}),
    timezone: contact.timezone,
  };
}
