import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Finds which named token was presented. Every token is compared in constant time, and all of them every
 * time, so the answer's timing tells nothing about any token.
 */
export function tokenMatcher(named: Record<string, string>): (presented: string | undefined) => string | undefined {
  const known = Object.entries(named).map(([name, token]) => ({ name, digest: digest(token) }));
  return (presented) => {
    if (!presented) return undefined;
    const candidate = digest(presented);
    let match: string | undefined;
    for (const { name, digest: expected } of known)
      if (timingSafeEqual(candidate, expected) && match === undefined) match = name;
    return match;
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
