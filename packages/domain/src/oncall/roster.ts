import type { PageTarget, Roster } from '../incident/commands.ts';
import type { Channel } from '../incident/events.ts';
import { LEVEL_NAMES } from '../severity.ts';
import type { Instant } from '../time/instant.ts';
import { onCallAt, type ScheduleSpec } from './schedule.ts';

export interface ContactSpec {
  phone?: string;
  email?: string;
  timezone: string;
}

export interface PolicySpec {
  levels: Partial<Record<(typeof LEVEL_NAMES)[number], { targets: string[]; channels: Channel[] }>>;
}

const reachable = (contact: ContactSpec, channel: Channel): boolean =>
  channel === 'email' ? Boolean(contact.email) : Boolean(contact.phone);

/**
 * Who each level of a policy pages at an instant, on which channels: schedules resolved to the member on
 * call, channels a contact has no address for left out, each contact and channel once.
 */
export function rosterFor(
  policy: PolicySpec,
  contacts: Record<string, ContactSpec>,
  schedules: Record<string, ScheduleSpec>,
  at: Instant,
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
        if (seen.has(key) || !reachable(contact, channel)) continue;
        seen.add(key);
        targets.push({ contact: contactName, channel });
      }
    }
    roster[levelName] = targets;
  }
  return roster;
}
