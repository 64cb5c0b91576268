import { rosterFor, type Instant, type Roster, type ScheduleSpec } from '@klaxon/domain';
import type { KlaxonConfig } from '@klaxon/config';

const EMPTY: Roster = { L1: [], L2: [], L3: [], L4: [] };

/**
 * Who each policy pages right now, from the configuration's contacts and policies and the schedules as they
 * run (with the overrides people made, when `schedules` is given; the configuration's alone otherwise).
 */
export function rosters(
  config: Pick<KlaxonConfig, 'policies' | 'contacts' | 'schedules'>,
  schedules: () => Record<string, ScheduleSpec> = () => config.schedules,
) {
  return {
    forPolicy(policy: string, at: Instant): Roster {
      const spec = config.policies[policy];
      return spec ? rosterFor(spec, config.contacts, schedules(), at) : EMPTY;
    },
  };
}

export type Rosters = ReturnType<typeof rosters>;
