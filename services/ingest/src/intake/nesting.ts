/**
 * The path of the first object or array nested more than `maxLevels` deep in `value` (which is level 1), or
 * undefined when there is none. Walked with a list of its own, not the call stack: the value is what a
 * sender wrote, and may be nested tens of thousands deep.
 */
export function pathBeyondDepth(value: unknown, maxLevels: number): string[] | undefined {
  const waiting: Array<{ value: unknown; path: string[] }> = [{ value, path: [] }];
  for (let next = waiting.pop(); next !== undefined; next = waiting.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.path.length >= maxLevels) return next.path;
    for (const [key, inner] of Object.entries(next.value)) waiting.push({ value: inner, path: [...next.path, key] });
  }
  return undefined;
}
