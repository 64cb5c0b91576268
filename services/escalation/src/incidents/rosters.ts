import { rosterFor, type ContactSpec, type Instant, type PageableMethod, type Roster } from '@klaxon/domain';
import type { KlaxonConfig } from '@klaxon/config';

const EMPTY: Roster = { L1: [], L2: [], L3: [], L4: [] };

/**
 * Who each policy pages right now, from the configuration's contacts, schedules and policies, and the
 * contact methods people added and verified (`added`).
 */
export function rosters(
  config: Pick<KlaxonConfig, 'policies' | 'contacts' | 'schedules'>,
  added?: (person: string) => PageableMethod[],
  /** The contacts with the rules people set themselves in place of klaxon.yaml's. */
  contacts: () => Record<string, ContactSpec> = () => config.contacts,
) {
  return {
    forPolicy(policy: string, at: Instant): Roster {
      const spec = config.policies[policy];
      return spec ? rosterFor(spec, contacts(), config.schedules, at, added) : EMPTY;
    },
  };
}

export type Rosters = ReturnType<typeof rosters>;
