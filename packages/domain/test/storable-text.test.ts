import { describe, expect, it } from 'vitest';
import { hasUnstorableText, storableText } from '../src/index.ts';

describe('text a store can keep', () => {
  it.each([
    ['a NUL', 'disk\u0000full', 'disk\uFFFDfull'],
    ['a lone high surrogate', 'x\uD800y', 'x\uFFFDy'],
    ['a lone low surrogate', 'x\uDC00y', 'x\uFFFDy'],
    ['a high surrogate at the end', 'x\uD83D', 'x\uFFFD'],
    ['reversed halves', '\uDE00\uD83D', '\uFFFD\uFFFD'],
  ])('replaces %s with U+FFFD', (_, text, expected) => {
    expect(hasUnstorableText(text)).toBe(true);
    expect(storableText(text)).toBe(expected);
    expect(Buffer.from(storableText(text), 'utf8').toString('utf8')).toBe(expected);
  });

  it.each([
    ['plain text', 'Disk full on db1'],
    ['a 4-byte character (a surrogate pair)', 'on fire 🔥 \uD83D\uDE00'],
    ['right-to-left text', 'שגיאה בשרת ‏مرحبا'],
    ['other control characters', 'tab\tnewline\n\u0001'],
  ])('keeps %s as it is', (_, text) => {
    expect(hasUnstorableText(text)).toBe(false);
    expect(storableText(text)).toBe(text);
  });
});
