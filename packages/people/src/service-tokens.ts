import type { KlaxonConfig } from '@klaxon/config';
import { liveTokenMatcher } from '@klaxon/service-kit';
import type { Principal } from './principal.ts';

/**
 * Finds the service token (`api.tokens`) presented, in constant time over all of them. The tokens are read
 * at each call: a reload changes the array in place, and an index must never name another token's role.
 */
export function serviceTokens(tokens: KlaxonConfig['api']['tokens']): (presented: string) => Principal | undefined {
  const match = liveTokenMatcher(() => Object.fromEntries(tokens.map(({ token }, i) => [String(i), token])));
  return (presented) => {
    const index = match(presented);
    if (index === undefined) return undefined;
    const { name, role } = tokens[Number(index)]!;
    return { kind: 'service', name, role };
  };
}
