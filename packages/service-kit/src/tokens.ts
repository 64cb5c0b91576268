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

/**
 * `tokenMatcher` over tokens that a configuration reload may change where they are (`config.api.tokens`,
 * `config.integrations`): the digests are taken again whenever the named tokens differ from the last call's,
 * so a token removed by a reload stops matching at once and a matched name is always the current one's.
 */
export function liveTokenMatcher(
  named: () => Record<string, string>,
): (presented: string | undefined) => string | undefined {
  let built: { key: string; match: (presented: string | undefined) => string | undefined } | undefined;
  return (presented) => {
    const current = named();
    const key = JSON.stringify(Object.entries(current));
    if (built?.key !== key) built = { key, match: tokenMatcher(current) };
    return built.match(presented);
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
