import { describe, expect, it } from 'vitest';
import { grouped } from '../src/grouped.ts';
import { outcomeOf } from './support/outcome.ts';

const settled = (p: Promise<void>) => outcomeOf(p);

describe('group commit with one call in flight', () => {
  it('a flush that throws instead of settling refuses its items, and the items after it still go', async () => {
    const flushed: number[][] = [];
    const call = grouped<number>(async (batch) => {
      flushed.push(batch.map((w) => w.item));
      if (batch.some((w) => w.item < 0)) throw new Error('bad item');
      for (const w of batch) w.resolve();
    });
    const first = call(-1);
    const second = call(2);
    expect(await settled(first)).toBe('refused: bad item');
    expect(await settled(second)).toBe('done');
    expect(await settled(call(3))).toBe('done');
    expect(flushed).toEqual([[-1], [2], [3]]);
  });
});
