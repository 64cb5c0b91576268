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
 * Finds the entry of `list` whose token was presented, as `tokenMatcher` does, over a list that a
 * configuration reload changes where it is (`config.api.tokens`: `applyConfigInPlace` puts the next file's
 * entries, new objects, into the same array). The digests are taken again only when the entries are not
 * the ones they were taken from, which a reload makes so; per request that check compares references, so
 * a removed token stops matching with the next request and a matched entry is always a current one.
 */
export function tokenListMatcher<T extends { readonly token: string }>(
  list: readonly T[],
): (presented: string | undefined) => T | undefined {
  let built:
    { entries: T[]; tokens: string[]; match: (presented: string | undefined) => string | undefined } | undefined;
  const stale = () =>
    !built ||
    built.entries.length !== list.length ||
    list.some((entry, i) => entry !== built!.entries[i] || entry.token !== built!.tokens[i]);
  return (presented) => {
    if (stale()) {
      const entries = [...list];
      const tokens = entries.map(({ token }) => token);
      built = {
        entries,
        tokens,
        match: tokenMatcher(Object.fromEntries(tokens.map((token, i) => [String(i), token]))),
      };
    }
    const index = built!.match(presented);
    return index === undefined ? undefined : built!.entries[Number(index)];
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}
