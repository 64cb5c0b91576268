import { describe, expect, it } from 'vitest';
import { justAbove } from '../src/postgres-prefix-read.ts';

/** Byte order of UTF-8, as text_pattern_ops compares. */
const below = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

describe('the upper bound of a prefix read: the least text above every text that starts with the prefix', () => {
  it.each([
    ['heartbeat', 'heartbeau'],
    ['a', 'b'],
    ['z~', 'z\u007f'],
    ['caf\u00e9', 'caf\u00ea'],
    ['x\ud7ff', 'x\ue000'],
    ['y\u{10ffff}', 'z'],
  ])('%j → %j', (prefix, bound) => {
    expect(justAbove(prefix)).toBe(bound);
    for (const tail of ['', '-', 'zz', '\u{10ffff}\u{10ffff}'])
      expect(below(prefix + tail, justAbove(prefix)), `${prefix}${tail}`).toBe(true);
  });

  it('there is none for a prefix of nothing but the last code point', () => {
    expect(() => justAbove('\u{10ffff}')).toThrow(/no text is above/);
  });
});
