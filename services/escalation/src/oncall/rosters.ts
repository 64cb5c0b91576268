import {
  rosterFor,
  type ContactSpec,
  type Instant,
  type PageableMethod,
  type Roster,
  type ScheduleSpec,
} from '@klaxon/domain';
import type { KlaxonConfig } from '@klaxon/config';

const EMPTY: Roster = { L1: [], L2: [], L3: [], L4: [] };

/** What people changed at run time, beside klaxon.yaml; each part absent means the configuration's alone. */
export interface RosterSources {
  /** The schedules as they run, with the overrides people made. */
  schedules?: () => Record<string, ScheduleSpec>;
  /** The contact methods people added and verified. */
  added?: (person: string) => PageableMethod[];
  /** The contacts with the rules people set themselves in place of klaxon.yaml's. */
  contacts?: () => Record<string, ContactSpec>;
}

/** Who each policy pages at an instant, from the configuration's policies and what people changed since. */
export function rosters(
  config: Pick<KlaxonConfig, 'policies' | 'contacts' | 'schedules'>,
  sources: RosterSources = {},
) {
  const schedules = sources.schedules ?? (() => config.schedules);
  const contacts = sources.contacts ?? (() => config.contacts);
  return {
    forPolicy(policy: string, at: Instant): Roster {
      const spec = config.policies[policy];
      return spec ? rosterFor(spec, contacts(), schedules(), at, sources.added) : EMPTY;
    },
  };
}

export type Rosters = ReturnType<typeof rosters>;
