import type { KlaxonConfig } from '@klaxon/config';
import { tokenMatcher } from '@klaxon/service-kit';
import type { Principal } from './principal.ts';

/** Finds the service token (`api.tokens`) presented, in constant time over all of them. */
export function serviceTokens(tokens: KlaxonConfig['api']['tokens']): (presented: string) => Principal | undefined {
  const match = tokenMatcher(Object.fromEntries(tokens.map(({ token }, i) => [String(i), token])));
  return (presented) => {
    const index = match(presented);
    if (index === undefined) return undefined;
    const { name, role } = tokens[Number(index)]!;
    return { kind: 'service', name, role };
  };
}
