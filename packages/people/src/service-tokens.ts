import type { KlaxonConfig } from '@klaxon/config';
import { tokenListMatcher } from '@klaxon/service-kit';
import type { Principal } from './principal.ts';

/**
 * Finds the service token (`api.tokens`) presented, in constant time over all of them. The array is the
 * running configuration's: a reload changes it in place, and the matcher is built again when it has, so an
 * entry found is always a current one (an index must never name another token's role).
 */
export function serviceTokens(tokens: KlaxonConfig['api']['tokens']): (presented: string) => Principal | undefined {
  const match = tokenListMatcher(tokens);
  return (presented) => {
    const found = match(presented);
    return found && { kind: 'service', name: found.name, role: found.role };
  };
}
