import type { KlaxonConfig } from '@klaxon/config';
import { bearerToken } from '@klaxon/service-kit';
import type { PersonalTokens } from './personal-tokens.ts';
import type { Principal } from './principal.ts';
import { serviceTokens } from './service-tokens.ts';

export interface Authenticator {
  /** The caller an `Authorization` header proves, or undefined (no, unknown, revoked or expired token). */
  authenticate(authorization: string | undefined): Promise<Principal | undefined>;
}

/**
 * The one place a request's credentials become a caller. A person's role is read from the running
 * configuration at each request, so a person taken out of `contacts` loses access with their tokens.
 */
export function authenticator(
  config: Pick<KlaxonConfig, 'api' | 'contacts'>,
  personalTokens: PersonalTokens,
): Authenticator {
  const service = serviceTokens(config.api.tokens);
  return {
    async authenticate(authorization) {
      const presented = bearerToken(authorization);
      if (!presented) return undefined;
      const asService = service(presented);
      if (asService) return asService;
      const owner = await personalTokens.verify(presented);
      const contact = owner && config.contacts[owner.person];
      if (!owner || !contact) return undefined;
      return { kind: 'person', name: owner.person, role: contact.role, tokenId: owner.id };
    },
  };
}
