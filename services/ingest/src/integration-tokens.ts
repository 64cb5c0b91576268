import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Finds the integration a token belongs to. Every configured token is compared in constant time, and all
 * of them every time, so the answer's timing tells nothing about any token.
 */
export function integrationTokens(integrations: Record<string, { token: string }>) {
  const known = Object.entries(integrations).map(([name, { token }]) => ({ name, digest: digest(token) }));
  return (presented: string | undefined): string | undefined => {
    if (!presented) return undefined;
    const candidate = digest(presented);
    let match: string | undefined;
    for (const { name, digest: expected } of known) if (timingSafeEqual(candidate, expected) && match === undefined) match = name;
    return match;
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
