import { describe, expect, it } from 'vitest';
import { instantOfChecked } from '../src/index.ts';

describe('an alert start as an Instant', () => {
  it.each([
    ['Alertmanager, nanoseconds', '2026-11-22T18:39:08.673826032Z', '2026-11-22T18:39:08.673Z'],
    ['cut, not rounded', '2026-12-31T23:59:59.999999999Z', '2026-12-31T23:59:59.999Z'],
    ['no fraction', '2026-11-22T18:39:08Z', '2026-11-22T18:39:08.000Z'],
    ['a tenth', '2026-11-22T18:39:08.6Z', '2026-11-22T18:39:08.600Z'],
    ['already an Instant', '2026-11-22T18:39:08.120Z', '2026-11-22T18:39:08.120Z'],
    ['an offset east', '2026-11-23T05:45:00.5+05:45', '2026-11-23T00:00:00.500Z'],
    ['an offset west across midnight', '2026-11-22T23:30:00-01:00', '2026-11-23T00:30:00.000Z'],
    ['a leap day', '2028-02-29T12:00:00.1234Z', '2028-02-29T12:00:00.123Z'],
  ])('%s: %s is %s', (_, text, instant) => {
    expect(instantOfChecked(text)).toBe(instant);
    // The same as parsing it into a Date and writing that in UTC, which is what it saves.
    expect(instantOfChecked(text)).toBe(new Date(text).toISOString());
  });
});
